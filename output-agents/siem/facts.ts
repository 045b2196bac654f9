// What every SIEM format says about a change, worked out once: the stable event id, the change type
// it is filed under, the policy verdict and a severity. The formats only map these onto their keys.
import { createHash } from 'node:crypto';
import { ChangeType, typeNames, type Proto } from '../../common/types';
import { verdictName, type Verdict } from '../change-verdict';
import type { BaselineSummary, ReportChange } from '../types';

export interface SiemFacts {
  /** A UUID derived from the change (never random): a change sent twice has the same id, so a SIEM can drop the repeat. */
  id: string;
  /** The change's id in portdelta (`portdelta changes`); null for a baseline summary. */
  changeId: number | null;
  /** The type it is filed under (a port event under its port type): new_port, host_down, …, or baseline. */
  action: string;
  types: string[];
  /** When the change was detected (ISO-8601 UTC). */
  time: string;
  scanner: string;
  group: string | null;
  scanId: number;
  ip: string | null;
  proto: Proto | null;
  port: number | null;
  hostname: string | null;
  previousHostname: string | null;
  text: string;
  verdict: Verdict;
  owner: string | null;
  note: string | null;
  /** 'high' breaks the policy; 'medium' something appeared; 'low' the rest. */
  severity: 'low' | 'medium' | 'high';
  agent: string;
  /** When the record was made (the run's time). */
  created: string;
}

const HOST_BITS = ChangeType.new_host | ChangeType.host_down;
const APPEARING = ChangeType.new_host | ChangeType.new_port | ChangeType.port_reopened | ChangeType.all_ports_answer;

/** Formatted as an RFC 9562 version 8 (custom) UUID: a SIEM's uuid field takes it. */
function stableId(...parts: Array<string | number>): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A port event's host bit only says why (DESIGN §3): it is filed under its port type. */
function primaryType(c: { port: number | null; type: number }): string {
  const bits = c.port === null ? c.type : c.type & ~HOST_BITS || c.type;
  return typeNames(bits)[0] ?? 'unchanged';
}

export function changeFacts(c: ReportChange, agent: string, now: Date): SiemFacts {
  const verdict = verdictName(c.policy);
  return {
    id: stableId('portdelta-change', c.id, c.scanner, c.detected_at),
    changeId: c.id,
    action: primaryType(c),
    types: c.types,
    time: c.detected_at,
    scanner: c.scanner,
    group: c.group,
    scanId: c.scan_id,
    ip: c.ip,
    proto: c.proto,
    port: c.port,
    hostname: c.hostname,
    previousHostname: c.previous_hostname,
    text: c.text,
    verdict,
    owner: c.policy.owner,
    note: c.policy.note,
    severity: verdict === 'unexpected' ? 'high' : c.type & APPEARING ? 'medium' : 'low',
    agent,
    created: now.toISOString(),
  };
}

export function baselineFacts(b: BaselineSummary, agent: string, now: Date): SiemFacts {
  return {
    id: stableId('portdelta-baseline', b.scanner, b.scan_id),
    changeId: null,
    action: 'baseline',
    types: [],
    time: b.detected_at,
    scanner: b.scanner,
    group: null,
    scanId: b.scan_id,
    ip: null,
    proto: null,
    port: null,
    hostname: null,
    previousHostname: null,
    text: b.text,
    verdict: 'none',
    owner: null,
    note: null,
    severity: 'low',
    agent,
    created: now.toISOString(),
  };
}

/** portdelta as the product that makes the records (cli/main.ts prints the same version). */
export const PRODUCT = Object.freeze({ vendor: 'portdelta', name: 'portdelta', version: '0.1.0' });

/** A numeric severity for ECS's event.severity and the syslog header: 4 warning, 5 notice, 6 informational. */
export const SYSLOG_SEVERITY = Object.freeze({ high: 4, medium: 5, low: 6 } as const);

/** What the JSON formats keep under `portdelta` (ECS custom fields, OCSF `unmapped`): what their schema has no place for. */
export function portdeltaFields(f: SiemFacts): Record<string, unknown> {
  return {
    change_id: f.changeId,
    types: f.types,
    scanner: f.scanner,
    scanner_group: f.group,
    scan_id: f.scanId,
    previous_hostname: f.previousHostname,
    policy: { verdict: f.verdict, owner: f.owner, note: f.note },
  };
}
