// Real batches for the output-agent tests: scans ingested with the spawned CLI, the changes read back
// with `changes --json` and wrapped as the runner wraps them (ReportChange).
import path from 'node:path';
import { describeChange } from '../../common/describe';
import type { ChangeRow } from '../../common/types';
import type { ChangeBatch, PolicyVerdict, ReportChange } from '../../output-agents/types';
import { cliJson, SCANS } from './cli';

const LAB_A = path.join(SCANS, 'lab-a');
const NO_POLICY: PolicyVerdict = { expected: null, owner: null, note: null };

/** lab-a nights 1..`nights` of scan-in (nmap TCP) ingested into `db`; returns every change. */
export async function labAChanges(db: string, nights = 2): Promise<ChangeRow[]> {
  const files = Array.from({ length: nights }, (_, i) => path.join(LAB_A, `night${i + 1}`, 'scan-in', 'nmap-tcp.xml'));
  await cliJson(['--db', db, 'ingest', '--scanner', 'scan-in', ...files]);
  return cliJson<ChangeRow[]>(['--db', db, 'changes']);
}

export async function ingestAndList(db: string, file: string, scanner: string): Promise<ChangeRow[]> {
  await cliJson(['--db', db, 'ingest', file]);
  return cliJson<ChangeRow[]>(['--db', db, 'changes', '--scanner', scanner]);
}

/**
 * The changes as an agent hands them on. scan_time is detected_at: the delta reporter stamps every
 * change with its scan's time (delta-reporter/apply-scan.ts).
 */
export function asReportChanges(
  rows: ChangeRow[],
  judge: (c: ChangeRow) => PolicyVerdict = () => NO_POLICY,
  confirms: (c: ChangeRow) => number | null = () => null,
): ReportChange[] {
  return rows.map((c) => ({ ...c, scan_time: c.detected_at, policy: judge(c), confirms: confirms(c), text: describeChange(c) }));
}

export function batchOf(changes: ReportChange[], extra: Partial<ChangeBatch> = {}): ChangeBatch {
  return { agent: 'soc-mail', targetGroup: 'soc', changes, disagreements: [], generatedAt: new Date('2025-03-04T06:30:00Z'), ...extra };
}

/** A made-up policy: ssh is expected (ops), web01 belongs to the web team, hosts to netops. */
export function labAPolicy(c: ChangeRow): PolicyVerdict {
  if (c.port === null) return { expected: null, owner: 'netops', note: null };
  if (c.port === 22) return { expected: true, owner: 'ops', note: null };
  if (c.ip === '10.66.1.10') return { expected: false, owner: 'web-team', note: 'ticket WEB-7' };
  return { expected: false, owner: null, note: null };
}

/** Hostnames as the network could send them: shell syntax, markup, a header injection, control characters. */
export const HOSTILE = ['$(touch pwned)', 'a;b', '`touch pwned`', '<script>alert(1)</script>', 'x\r\nBcc: evil@example.org', 'tab\there\u0007bell'];

/** Changes as the network could make them: the hostile names as hostnames and as an old DNS name. */
export function hostileChanges(): ReportChange[] {
  const base = { scanner: 'hx', group: null, returning: false, details: null, baseline: false, service: null, previous_service: null, cert: null, previous_cert: null, detected_at: '2026-01-01T02:00:00.000Z', scan_id: 1, scan_time: '2026-01-01T02:00:00.000Z', confirms: null, policy: NO_POLICY };
  return HOSTILE.flatMap((name, i) => [
    { ...base, id: 2 * i + 1, ip: `10.9.0.${i + 1}`, proto: 'tcp' as const, port: 80, type: 9, types: ['new_host' as const, 'new_port' as const], hostname: name, previous_hostname: null, text: 'port 80/tcp open on a new host' },
    { ...base, id: 2 * i + 2, ip: `10.9.1.${i + 1}`, proto: null, port: null, type: 4, types: ['dns_changed' as const], hostname: 'ok.example', previous_hostname: name, text: `DNS name changed from ${name} to ok.example` },
  ]);
}
