// The SQL of an ingest: scanners and scans, staging, and the pages the classifier walks through.
// Every statement is parameterised and the same on SQLite and PostgreSQL.
import type { Knex } from 'knex';
import type { Dialect } from './connection';
import { insertMany, upsertMany } from './batch';
import type { IpRange, PortScope } from '../common/types';
import { PROTOS } from '../common/types';

export type Trx = Knex | Knex.Transaction;
export const PAGE = 5000;

export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function ensureScanner(trx: Trx, name: string, group: string | null, now: number): Promise<number> {
  await trx('scanners').insert({ name, group_name: group, created_at: now }).onConflict('name').ignore();
  if (group !== null) {
    await trx('scanners').where({ name }).andWhere((q) => q.whereNull('group_name').orWhereNot('group_name', group)).update({ group_name: group });
  }
  const row = await trx('scanners').where({ name }).first('id');
  return row.id as number;
}

/** Serialises ingests of one scanner across processes (PostgreSQL; SQLite has one writer anyway). */
export async function lockScanner(trx: Trx, dialect: Dialect, name: string): Promise<void> {
  if (dialect === 'pg') await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`portdelta:scanner:${name}`]);
}

export async function findScanBySha(trx: Trx, scannerId: number, sha256: string): Promise<{ id: number; status: string } | undefined> {
  return trx('scans').where({ scanner_id: scannerId, sha256 }).whereNot({ status: 'applying' }).first('id', 'status');
}

export async function newestAppliedStart(trx: Trx, scannerId: number, exceptScan: number): Promise<number | null> {
  const row = await trx('scans').where({ scanner_id: scannerId, status: 'applied' }).whereNot({ id: exceptScan }).max({ m: 'started_at' }).first();
  return row?.m == null ? null : Number(row.m);
}

export async function insertScan(trx: Trx, row: Record<string, unknown>): Promise<number> {
  const [r] = await trx('scans').insert(row).returning('id');
  return typeof r === 'object' ? (r as { id: number }).id : (r as number);
}

export async function updateScan(trx: Trx, id: number, values: Record<string, unknown>): Promise<void> {
  await trx('scans').where({ id }).update(values);
}

export async function stageHosts(trx: Trx, dialect: Dialect, rows: readonly object[]): Promise<void> {
  await insertMany(trx, dialect, 'stage_hosts', rows);
}
export async function stagePorts(trx: Trx, dialect: Dialect, rows: readonly object[]): Promise<void> {
  await insertMany(trx, dialect, 'stage_ports', rows);
}
export async function stageUnknownPorts(trx: Trx, dialect: Dialect, rows: readonly object[]): Promise<void> {
  await insertMany(trx, dialect, 'stage_unknown_ports', rows);
}

export async function writeScope(trx: Trx, dialect: Dialect, scanId: number, hosts: IpRange[] | null, listed: boolean, ports: PortScope | null): Promise<void> {
  if (hosts) await insertMany(trx, dialect, 'scan_host_scope', hosts.map((r) => ({ scan_id: scanId, lo: r.lo, hi: r.hi })));
  if (listed) {
    await trx.raw('INSERT INTO scan_host_scope (scan_id, lo, hi) SELECT DISTINCT scan_id, ip_key, ip_key FROM stage_hosts WHERE scan_id = ?', [scanId]);
  }
  if (ports) {
    const rows = PROTOS.flatMap((p) => (ports[p] ?? []).map((r) => ({ scan_id: scanId, proto: p, lo: r.lo, hi: r.hi })));
    await insertMany(trx, dialect, 'scan_port_scope', rows);
  }
}

export async function dropStaging(trx: Trx, scanId: number): Promise<void> {
  for (const t of ['stage_hosts', 'stage_ports', 'stage_unknown_ports']) await trx(t).where({ scan_id: scanId }).delete();
}

export interface StagedHostRow {
  ip_key: string;
  ip: string;
  timed_out: number;
  ptr: string | null;
  mac: string | null;
  open_count: number;
  status: string | null;
  hostname: string | null;
  names_known: number | null;
  miss_streak: number | null;
  ever_down: number | null;
  all_ports: number | null;
}

/** Hosts the scan reports up (several records of one ip merged), with their stored state. */
export async function pageHostsUp(trx: Trx, scanId: number, scannerId: number, after: string): Promise<StagedHostRow[]> {
  return rowsOf<StagedHostRow>(
    await trx.raw(
      `SELECT a.ip_key, a.ip, a.timed_out, a.ptr, a.mac, a.open_count,
              h.status, h.hostname, h.names_known, h.miss_streak, h.ever_down, h.all_ports
         FROM (SELECT ip_key, MIN(ip) AS ip, MAX(timed_out) AS timed_out, MAX(ptr) AS ptr, MAX(mac) AS mac, SUM(open_count) AS open_count
                 FROM stage_hosts WHERE scan_id = ? AND ip_key > ?
                GROUP BY ip_key HAVING MAX(up) = 1 ORDER BY ip_key LIMIT ${PAGE}) a
         LEFT JOIN host_state h ON h.scanner_id = ? AND h.ip_key = a.ip_key
        ORDER BY a.ip_key`,
      [scanId, after, scannerId],
    ),
  ).map((r) => ({ ...r, timed_out: Number(r.timed_out), open_count: Number(r.open_count) }));
}

export interface MissingHostRow {
  ip_key: string;
  ip: string;
  hostname: string | null;
  names_known: number;
  miss_streak: number;
  ever_down: number;
  all_ports: number;
  in_scope: number;
  timed_out: number;
}

/** Hosts this scanner knows as up that the scan did not report up. */
export async function pageHostsMissing(trx: Trx, scanId: number, scannerId: number, after: string): Promise<MissingHostRow[]> {
  return rowsOf<MissingHostRow>(
    await trx.raw(
      `SELECT h.ip_key, h.ip, h.hostname, h.names_known, h.miss_streak, h.ever_down, h.all_ports,
              CASE WHEN EXISTS (SELECT 1 FROM scan_host_scope r WHERE r.scan_id = ? AND h.ip_key BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_scope,
              CASE WHEN EXISTS (SELECT 1 FROM stage_hosts s WHERE s.scan_id = ? AND s.ip_key = h.ip_key AND s.timed_out = 1) THEN 1 ELSE 0 END AS timed_out
         FROM host_state h
        WHERE h.scanner_id = ? AND h.status = 'up' AND h.last_scan_id <> ? AND h.ip_key > ?
        ORDER BY h.ip_key LIMIT ${PAGE}`,
      [scanId, scanId, scannerId, scanId, after],
    ),
  );
}

export const HOST_UPDATE_COLS = ['ip', 'status', 'hostname', 'names_known', 'mac', 'last_seen', 'miss_streak', 'ever_down', 'all_ports', 'last_change', 'last_scan_id', 'change_scan_id'];
export const HOST_MISS_COLS = ['status', 'miss_streak', 'ever_down', 'all_ports', 'last_change', 'change_scan_id'];

export async function upsertHosts(trx: Trx, dialect: Dialect, rows: readonly object[], cols: readonly string[]): Promise<void> {
  await upsertMany(trx, dialect, 'host_state', ['scanner_id', 'ip_key'], cols, rows);
}

export interface PortKey {
  ip_key: string;
  proto: string;
  port: number;
}

export interface StagedPortRow extends PortKey {
  ip: string;
  open: number;
  service: string | null;
  reported: string | null;
  open_streak: number | null;
  miss_streak: number | null;
  last_change: number | null;
  host_change: number;
  all_ports: number;
  ever_down: number;
  hostname: string | null;
}

/** Ports the scan lists for hosts it reports up, with their stored state and the host's decision. */
export async function pagePortsSeen(trx: Trx, scanId: number, scannerId: number, after: PortKey): Promise<StagedPortRow[]> {
  return rowsOf<StagedPortRow>(
    await trx.raw(
      `SELECT a.ip_key, a.ip, a.proto, a.port, a.open, a.service,
              p.reported, p.open_streak, p.miss_streak, p.last_change,
              h.last_change AS host_change, h.all_ports, h.ever_down, h.hostname
         FROM (SELECT ip_key, MIN(ip) AS ip, proto, port, MAX(open) AS open, MAX(service) AS service
                 FROM stage_ports WHERE scan_id = ? AND (ip_key, proto, port) > (?, ?, ?)
                GROUP BY ip_key, proto, port ORDER BY ip_key, proto, port LIMIT ${PAGE}) a
         JOIN host_state h ON h.scanner_id = ? AND h.ip_key = a.ip_key AND h.last_scan_id = ?
         LEFT JOIN port_state p ON p.scanner_id = ? AND p.ip_key = a.ip_key AND p.proto = a.proto AND p.port = a.port
        ORDER BY a.ip_key, a.proto, a.port`,
      [scanId, after.ip_key, after.proto, after.port, scannerId, scanId, scannerId],
    ),
  );
}

export interface MissingPortRow extends PortKey {
  ip: string;
  reported: string | null;
  open_streak: number;
  miss_streak: number;
  host_seen: number;
  host_change: number;
  all_ports: number;
  hostname: string | null;
  in_host_scope: number;
  in_port_scope: number;
  unknown: number;
  timed_out: number;
}

/** Ports reported open (or on their way to it) that the scan did not list, for hosts the scan saw or just took down. */
export async function pagePortsMissing(trx: Trx, scanId: number, scannerId: number, after: PortKey): Promise<MissingPortRow[]> {
  return rowsOf<MissingPortRow>(
    await trx.raw(
      `SELECT p.ip_key, p.ip, p.proto, p.port, p.reported, p.open_streak, p.miss_streak,
              CASE WHEN h.last_scan_id = ? THEN 1 ELSE 0 END AS host_seen,
              CASE WHEN h.change_scan_id = ? THEN h.last_change ELSE 0 END AS host_change,
              h.all_ports, h.hostname,
              CASE WHEN EXISTS (SELECT 1 FROM scan_host_scope r WHERE r.scan_id = ? AND p.ip_key BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_host_scope,
              CASE WHEN EXISTS (SELECT 1 FROM scan_port_scope r WHERE r.scan_id = ? AND r.proto = p.proto AND p.port BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_port_scope,
              CASE WHEN EXISTS (SELECT 1 FROM stage_unknown_ports u WHERE u.scan_id = ? AND u.ip_key = p.ip_key AND u.proto = p.proto AND p.port BETWEEN u.lo AND u.hi) THEN 1 ELSE 0 END AS unknown,
              CASE WHEN EXISTS (SELECT 1 FROM stage_hosts s WHERE s.scan_id = ? AND s.ip_key = p.ip_key AND s.timed_out = 1) THEN 1 ELSE 0 END AS timed_out
         FROM port_state p
         JOIN host_state h ON h.scanner_id = p.scanner_id AND h.ip_key = p.ip_key
        WHERE p.scanner_id = ? AND (p.reported = 'open' OR p.open_streak > 0) AND p.last_scan_id <> ?
          AND (h.last_scan_id = ? OR h.change_scan_id = ?)
          AND (p.ip_key, p.proto, p.port) > (?, ?, ?)
        ORDER BY p.ip_key, p.proto, p.port LIMIT ${PAGE}`,
      [scanId, scanId, scanId, scanId, scanId, scanId, scannerId, scanId, scanId, scanId, after.ip_key, after.proto, after.port],
    ),
  );
}

export const PORT_SEEN_COLS = ['ip', 'reported', 'open_streak', 'miss_streak', 'service', 'last_seen', 'last_change', 'last_scan_id'];
export const PORT_MISS_COLS = ['reported', 'open_streak', 'miss_streak', 'last_change'];

export async function upsertPorts(trx: Trx, dialect: Dialect, rows: readonly object[], cols: readonly string[]): Promise<void> {
  await upsertMany(trx, dialect, 'port_state', ['scanner_id', 'ip_key', 'proto', 'port'], cols, rows);
}

export async function insertChanges(trx: Trx, dialect: Dialect, rows: readonly object[]): Promise<void> {
  await insertMany(trx, dialect, 'changes', rows);
}

export async function countStaged(trx: Trx, scanId: number): Promise<{ hosts: number; ports: number }> {
  const h = rowsOf<{ n: number }>(await trx.raw('SELECT COUNT(DISTINCT ip_key) AS n FROM stage_hosts WHERE scan_id = ? AND up = 1', [scanId]));
  const p = rowsOf<{ n: number }>(
    await trx.raw('SELECT COUNT(*) AS n FROM (SELECT DISTINCT ip_key, proto, port FROM stage_ports WHERE scan_id = ? AND open = 1) d', [scanId]),
  );
  return { hosts: Number(h[0].n), ports: Number(p[0].n) };
}
