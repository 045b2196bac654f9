// The opening of a mail or text report on a busy night (DESIGN §4): counts in words — unexpected
// changes first, then by type, scanner and network — the scanners' baselines as one line each,
// and which changes are listed (at most max_listed, unexpected first) with the command for the rest.
import { ipKey } from '../common/ip';
import { CHANGE_TYPE_NAMES, ChangeType, typeNames, type ChangeTypeName } from '../common/types';
import type { BaselineSummary, ReportChange } from './types';

const WORDS: Partial<Record<ChangeTypeName, [string, string]>> = {
  new_host: ['new host', 'new hosts'],
  host_down: ['host gone', 'hosts gone'],
  dns_changed: ['DNS name change', 'DNS name changes'],
  new_port: ['newly open port', 'newly open ports'],
  port_closed: ['closed port', 'closed ports'],
  port_reopened: ['port open again', 'ports open again'],
  all_ports_answer: ['host answering on every port', 'hosts answering on every port'],
  service_changed: ['service version change', 'service version changes'],
  cert_changed: ['TLS certificate change', 'TLS certificate changes'],
  scanner_silent: ['scanner gone silent', 'scanners gone silent'],
  scanner_back: ['scanner back', 'scanners back'],
  mass_absence: ['mass absence held back', 'mass absences held back'],
};

export const thousands = (n: number): string => n.toLocaleString('en-US');

/** '3 new hosts', '1 closed port'; a type without words keeps its name. */
function countInWords(type: ChangeTypeName, n: number): string {
  const w = WORDS[type];
  return `${thousands(n)} ${w ? w[n === 1 ? 0 : 1] : type}`;
}

const PORT_BITS = ChangeType.new_port | ChangeType.port_closed | ChangeType.port_reopened | ChangeType.service_changed | ChangeType.cert_changed;

/** A port event counts under its port type (its host bit only says why); a host event under its own. */
function countedTypes(c: { port: number | null; type: number }): ChangeTypeName[] {
  return typeNames(c.port === null ? c.type : c.type & PORT_BITS || c.type);
}

export function typeCounts(changes: readonly ReportChange[]): Array<{ type: ChangeTypeName; count: number }> {
  const tally = new Map<ChangeTypeName, number>();
  for (const c of changes) for (const t of countedTypes(c)) tally.set(t, (tally.get(t) ?? 0) + 1);
  return CHANGE_TYPE_NAMES.filter((t) => tally.has(t)).map((type) => ({ type, count: tally.get(type)! }));
}

export const inWords = (changes: readonly ReportChange[]): string => typeCounts(changes).map((c) => countInWords(c.type, c.count)).join(', ');

export const isUnexpected = (c: ReportChange): boolean => c.policy.expected === false;

/** The /24 of an IPv4 address, the /64 of an IPv6 one: the unit the overview counts by. */
export function networkOf(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  const key = ipKey(ip);
  const groups = key.slice(0, 16).match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}::/64`;
}

/** Counts per key, largest first, then by key order. */
export function countBy<T>(items: readonly T[], key: (t: T) => string, order: (a: string, b: string) => number): Array<{ name: string; count: number }> {
  const tally = new Map<string, number>();
  for (const i of items) tally.set(key(i), (tally.get(key(i)) ?? 0) + 1);
  return [...tally].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || order(a.name, b.name));
}

/**
 * The changes a report lists: at most `max`, unexpected ones first, then by id. The same choice
 * everywhere (the runner marks the rest in the database, the templates show the chosen ones).
 */
export function splitListed(changes: readonly ReportChange[], max: number): { listed: ReportChange[]; unlisted: ReportChange[] } {
  if (changes.length <= max) return { listed: [...changes], unlisted: [] };
  const ordered = [...changes].sort((a, b) => Number(isUnexpected(b)) - Number(isUnexpected(a)) || a.id - b.id);
  return { listed: ordered.slice(0, max), unlisted: ordered.slice(max) };
}

export const unlistedCommand = (run: string): string => `portdelta changes --report ${run} --unlisted`;
export const baselineCommand = (scanner: string): string => `portdelta state --scanner ${scanner}`;

/** 'baseline of scan-in: 19,759 hosts up, 59,032 open ports' */
export function baselineText(b: Pick<BaselineSummary, 'scanner' | 'hosts_up' | 'open_ports'>): string {
  const n = (count: number, one: string, many: string) => `${thousands(count)} ${count === 1 ? one : many}`;
  return `baseline of ${b.scanner}: ${n(b.hosts_up, 'host', 'hosts')} up, ${n(b.open_ports, 'open port', 'open ports')}`;
}

/** The summary as JSON Lines, a hook's stdin and a webhook show it: without the ids it stands for. */
export function baselineRecord(b: BaselineSummary & { change_ids?: number[] }): BaselineSummary {
  const { change_ids: _ids, ...record } = b;
  return record;
}
