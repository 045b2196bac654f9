// What `portdelta scanners` shows per scanner: its group, its last applied scan, how many scans
// the last 7 days brought, its last failed file, and whether it is silent (scanner-health.ts).
import type { Db } from '../db/connection';
import * as health from '../db/health-repo';
import { groupOf, type ListedGroups } from '../common/scanner-groups';
import { formatDuration } from '../common/duration';
import { silenceOf } from './scanner-health';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const WEEK_MS = 7 * 86400e3;

export interface ScannerStatus {
  scanner: string;
  group: string | null;
  /** expect_every as written ('26h'); null: none, the scanner is never silent. */
  expect_every: string | null;
  last_scan: { id: number; time: string | null; file: string; format: string; hosts_up: number; ports_open: number; complete: boolean } | null;
  last_complete_scan_at: string | null;
  scans_7d: number;
  last_failure: { file: string; reason: string; time: string } | null;
  silent: boolean;
  silent_since: string | null;
}

export interface ScannerSettings {
  listed: ListedGroups;
  expectations: Record<string, number | undefined>;
}

async function statusOf(db: Db, name: string, row: health.ScannerRow | undefined, s: ScannerSettings, now: number): Promise<ScannerStatus> {
  const last = row ? await health.lastApplied(db.knex, row.id, false) : null;
  const lastComplete = row ? await health.lastApplied(db.knex, row.id, true) : null;
  const failure = await health.lastFailure(db.knex, name);
  const expectMs = s.expectations[name];
  const silence = row && expectMs !== undefined ? await silenceOf(db.knex, row, expectMs, now) : null;
  return {
    scanner: name,
    group: groupOf(name, row?.group ?? null, s.listed),
    expect_every: expectMs === undefined ? null : formatDuration(expectMs),
    last_scan: last && { id: last.id, time: iso(last.at), file: last.source, format: last.format, hosts_up: last.hosts_up, ports_open: last.ports_open, complete: last.complete },
    last_complete_scan_at: iso(lastComplete?.at ?? null),
    scans_7d: row ? await health.scansSince(db.knex, row.id, now - WEEK_MS) : 0,
    last_failure: failure && { file: failure.source, reason: failure.reason, time: iso(failure.at)! },
    silent: silence !== null,
    silent_since: iso(silence?.since ?? null),
  };
}

/** Every scanner the store, the configuration or a failed file names, by name. */
export async function scannerStatuses(db: Db, s: ScannerSettings, now: number): Promise<ScannerStatus[]> {
  const rows = new Map((await health.scannerRows(db.knex)).map((r) => [r.name, r]));
  const names = new Set([...rows.keys(), ...Object.keys(s.listed), ...(await health.failureScanners(db.knex))]);
  const out: ScannerStatus[] = [];
  for (const name of [...names].sort()) out.push(await statusOf(db, name, rows.get(name), s, now));
  return out;
}
