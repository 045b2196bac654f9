// The data a report template sees (docs/output-agents.md lists every field). Built once per batch
// and shared by the subject, the text and the HTML part. Everything a scanner or the network could
// have put into a string goes through `clean`, so no template can emit a raw control character.
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';
import { ipKey } from '../common/ip';
import { ChangeType, type CertFacts, type ChangeTypeName } from '../common/types';
import { certWords, serviceWords } from '../common/service-facts';
import { baselineText, countBy, inWords, isUnexpected, networkOf, splitListed, thousands, typeCounts, unlistedCommand } from './overview';
import type { ChangeBatch, ReportChange } from './types';
import type { Disagreement } from '../common/types';

interface ChangeView {
  id: number;
  text: string;
  scanner: string;
  group: string | null;
  ip: string;
  proto: string | null;
  port: number | null;
  type: number;
  types: string;
  hostname: string | null;
  previous_hostname: string | null;
  dns_changed: boolean;
  scan_time: string;
  detected_at: string;
  /** 'expected' | 'unexpected' | null (no policy rule covers it) */
  verdict: 'expected' | 'unexpected' | null;
  unexpected: boolean;
  owner: string | null;
  note: string | null;
  confirms: number | null;
  /** service_changed: the fingerprints in words ('OpenSSH 9.6p1 (Ubuntu Linux; protocol 2.0)'); null otherwise. */
  service: string | null;
  previous_service: string | null;
  /** cert_changed: the certificates in words and their fingerprints; null otherwise. */
  cert: string | null;
  previous_cert: string | null;
  cert_fingerprint: string | null;
  previous_cert_fingerprint: string | null;
}

interface HostView {
  ip: string;
  /** The host's names in this report (a DNS change brings two), joined with ', '; null when none. */
  hostnames: string | null;
  changes: ChangeView[];
}

interface DisagreementEntry {
  group: string;
  ip: string;
  proto: string;
  port: number;
  where: string;
  hostname: string | null;
  views: Array<{ scanner: string; view: string; scan_time: string; scan_id: number }>;
}

interface BaselineView {
  scanner: string;
  /** 'baseline of scan-in: 19,759 hosts up, 59,032 open ports' */
  text: string;
  /** 'portdelta state --scanner scan-in' */
  command: string;
}

/** The overview a report opens with (output-agents/overview.ts). */
interface OverviewView {
  /** The changes the policy does not expect, in words: '1 newly open port, 1 closed port'; '' when none. */
  unexpected: string;
  /** The changes in words: '3 new hosts, 12 newly open ports'. */
  types: string;
  /** 'scan-in 10, scan-out 5' (most changes first) */
  scanners: string;
  /** '10.66.1.0/24 12, 10.66.2.0/24 3' (/24 or /64, most changes first, at most 10, then 'and N more') */
  networks: string;
}

export interface ReportView {
  /** The subject's gist: '3 changes (…)', 'baseline of scan-in', or both. */
  headline: string;
  overview: OverviewView;
  baseline_count: number;
  /** 'baseline of scan-in', 'baselines of scan-in and scan-out' */
  baseline_text: string;
  baselines: BaselineView[];
  /** Changes listed below (at most max_listed). */
  listed_count: number;
  /** Changes counted but not listed; unlisted_command lists them. */
  unlisted_count: number;
  unlisted_text: string;
  unlisted_command: string;
  agent: string;
  target_group: string | null;
  generated_at: string;
  count: number;
  count_text: string;
  summary: string;
  counts: Array<{ type: ChangeTypeName; count: number }>;
  unexpected_count: number;
  host_count: number;
  hosts: HostView[];
  disagreement_count: number;
  /** '1 scanner disagreement', '3 scanner disagreements' */
  disagreement_text: string;
  disagreements: DisagreementEntry[];
}

const clean = (s: string): string => safeText(s);
const cleanOrNull = (s: string | null | undefined): string | null => (s == null || s === '' ? null : clean(s));
const when = (iso: string | null): string => (iso ? `${shortTime(iso)} UTC` : 'unknown');
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function changeView(c: ReportChange): ChangeView {
  const verdict = c.policy.expected === null ? null : c.policy.expected ? 'expected' : 'unexpected';
  return {
    id: c.id,
    text: clean(c.text),
    scanner: clean(c.scanner),
    group: cleanOrNull(c.group),
    ip: c.ip ?? '',
    proto: c.proto,
    port: c.port,
    type: c.type,
    types: c.types.join(', '),
    hostname: cleanOrNull(c.hostname),
    previous_hostname: cleanOrNull(c.previous_hostname),
    dns_changed: (c.type & ChangeType.dns_changed) !== 0,
    scan_time: when(c.scan_time),
    detected_at: when(c.detected_at),
    verdict,
    unexpected: verdict === 'unexpected',
    owner: cleanOrNull(c.policy.owner),
    note: cleanOrNull(c.policy.note),
    confirms: c.confirms,
    ...factsView(c),
  };
}

const fingerprint = (c: CertFacts | null): string | null => (c ? (c.sha256 ? `sha256 ${c.sha256}` : c.sha1 ? `sha1 ${c.sha1}` : null) : null);

function factsView(c: ReportChange): Pick<ChangeView, 'service' | 'previous_service' | 'cert' | 'previous_cert' | 'cert_fingerprint' | 'previous_cert_fingerprint'> {
  return {
    service: c.service ? clean(serviceWords(c.service)) : null,
    previous_service: c.previous_service ? clean(serviceWords(c.previous_service)) : null,
    cert: c.cert ? clean(certWords(c.cert)) : null,
    previous_cert: c.previous_cert ? clean(certWords(c.previous_cert)) : null,
    cert_fingerprint: fingerprint(c.cert),
    previous_cert_fingerprint: fingerprint(c.previous_cert),
  };
}

/** Host events first, then ports in protocol and number order, then the order they were detected. */
function byPort(a: ReportChange, b: ReportChange): number {
  if ((a.port === null) !== (b.port === null)) return a.port === null ? -1 : 1;
  return (a.proto ?? '').localeCompare(b.proto ?? '') || (a.port ?? 0) - (b.port ?? 0) || a.id - b.id;
}

/** Numeric address order (10.0.0.9 before 10.0.0.10, IPv4 before IPv6). */
function byAddress(a: string, b: string): number {
  const ka = ipKey(a);
  const kb = ipKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A scanner event's heading where a host's address stands; these come first, by scanner name. */
const SCANNER_HEADING = 'scanner ';
const headingOf = (c: ReportChange): string => c.ip ?? `${SCANNER_HEADING}${clean(c.scanner)}`;
function byHeading(a: string, b: string): number {
  const sa = a.startsWith(SCANNER_HEADING);
  const sb = b.startsWith(SCANNER_HEADING);
  if (sa || sb) return sa && sb ? a.localeCompare(b) : sa ? -1 : 1;
  return byAddress(a, b);
}

function hostViews(changes: ReportChange[]): HostView[] {
  const byIp = new Map<string, ReportChange[]>();
  for (const c of changes) {
    const list = byIp.get(headingOf(c));
    if (list) list.push(c);
    else byIp.set(headingOf(c), [c]);
  }
  return [...byIp.entries()]
    .sort(([a], [b]) => byHeading(a, b))
    .map(([ip, list]) => {
      list.sort(byPort);
      const names = new Set<string>();
      for (const c of [...list].sort((a, b) => a.id - b.id)) {
        for (const n of [c.previous_hostname, c.hostname]) if (n) names.add(clean(n));
      }
      return { ip, hostnames: names.size ? [...names].join(', ') : null, changes: list.map(changeView) };
    });
}

function disagreementEntries(list: Disagreement[]): DisagreementEntry[] {
  return [...list]
    .sort((a, b) => a.group.localeCompare(b.group) || byAddress(a.ip, b.ip) || a.proto.localeCompare(b.proto) || a.port - b.port)
    .map((d) => ({
      group: clean(d.group),
      ip: d.ip,
      proto: d.proto,
      port: d.port,
      where: `${d.ip.includes(':') ? `[${d.ip}]` : d.ip}:${d.port}/${d.proto}`,
      hostname: cleanOrNull(d.hostname),
      views: d.views.map((v) => ({ scanner: clean(v.scanner), view: v.view, scan_time: when(v.scan_time), scan_id: v.scan_id })),
    }));
}

function overview(changes: ReportChange[]): OverviewView {
  const unexpected = changes.filter(isUnexpected);
  // Scanner events have no address, so no network.
  const addressed = changes.filter((c): c is ReportChange & { ip: string } => c.ip !== null);
  const networks = countBy(addressed, (c) => networkOf(c.ip), (a, b) => byAddress(a.split('/')[0], b.split('/')[0]));
  const more = networks.length > 10 ? `, and ${thousands(networks.length - 10)} more networks` : '';
  return {
    unexpected: inWords(unexpected),
    types: inWords(changes),
    scanners: countBy(changes, (c) => clean(c.scanner), (a, b) => a.localeCompare(b)).map((s) => `${s.name} ${thousands(s.count)}`).join(', '),
    networks: networks.slice(0, 10).map((n) => `${n.name} ${thousands(n.count)}`).join(', ') + more,
  };
}

/** What sits above the listing: the subject's gist, the baselines and the cut. */
function heading(batch: ChangeBatch, summary: string) {
  const baselines = (batch.baselines ?? []).map((b) => ({ scanner: clean(b.scanner), text: clean(baselineText(b)), command: clean(b.command) }));
  const names = baselines.map((b) => b.scanner);
  const gist = names.length ? `baseline${names.length === 1 ? '' : 's'} of ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0]}` : '';
  const counted = `${plural(batch.changes.length, 'change')}${summary ? ` (${summary})` : ''}`;
  const headline = [batch.changes.length || !names.length ? counted : '', gist].filter(Boolean).join(', ');
  const { listed, unlisted } = splitListed(batch.changes, batch.maxListed ?? Infinity);
  const unlistedText = unlisted.length ? `${thousands(unlisted.length)} more not listed here (${thousands(listed.length)} of ${thousands(batch.changes.length)} are, unexpected first)` : '';
  return {
    listed,
    fields: {
      headline, baseline_count: baselines.length, baseline_text: gist, baselines,
      listed_count: listed.length, unlisted_count: unlisted.length, unlisted_text: unlistedText,
      unlisted_command: unlisted.length && batch.run ? unlistedCommand(batch.run) : '',
    },
  };
}

export function reportView(batch: ChangeBatch): ReportView {
  const counts = typeCounts(batch.changes);
  const summary = counts.map((c) => `${c.count} ${c.type}`).join(', ');
  const { listed, fields } = heading(batch, summary);
  const hosts = hostViews(listed);
  return {
    ...fields,
    overview: overview(batch.changes),
    agent: clean(batch.agent),
    target_group: cleanOrNull(batch.targetGroup),
    generated_at: when(batch.generatedAt.toISOString()),
    count: batch.changes.length,
    count_text: plural(batch.changes.length, 'change'),
    summary,
    counts,
    unexpected_count: batch.changes.filter((c) => c.policy.expected === false).length,
    host_count: hosts.length,
    hosts,
    disagreement_count: batch.disagreements.length,
    disagreement_text: plural(batch.disagreements.length, 'scanner disagreement'),
    disagreements: disagreementEntries(batch.disagreements),
  };
}
