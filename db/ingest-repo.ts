// The SQL of an ingest: scanners and scans, staging, and the pages the classifier walks through.
// Every statement is parameterised and the same on SQLite and PostgreSQL.
import type { Knex } from 'knex';
import type { Dialect, PagedQuery } from './dialects/types';
import { insertMany, upsertMany } from './batch';
import { rowsOf } from './rows';
import type { IpRange, PortScope } from '../common/types';
import { ChangeType, PROTOS } from '../common/types';

export type Trx = Knex | Knex.Transaction;

export async function ensureScanner(trx: Trx, name: string, group: string | null, now: number): Promise<number> {
  await trx('scanners').insert({ name, group_name: group, created_at: now }).onConflict('name').ignore();
  if (group !== null) {
    await trx('scanners').where({ name }).andWhere((q) => { q.whereNull('group_name').orWhereNot('group_name', group); }).update({ group_name: group });
  }
  const row = await trx('scanners').where({ name }).first('id');
  return row.id as number;
}

/**
 * Serialises ingests of one scanner across processes (SQLite has one writer anyway), and has the
 * statements that follow planned for bulk work: every apply statement looks rows up by this scan's id.
 */
export async function lockScanner(trx: Trx, dialect: Dialect, name: string): Promise<void> {
  await dialect.lock(trx, `scanner:${name}`);
  await dialect.planForBulk(trx);
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

export async function writeScope(trx: Trx, dialect: Dialect, scanId: number, hosts: IpRange[] | null, listed: boolean, ports: PortScope | null): Promise<void> {
  if (hosts) await insertMany(trx, dialect, 'scan_host_scope', hosts.map((r) => ({ scan_id: scanId, lo: r.lo, hi: r.hi })));
  if (listed) {
    await trx.raw('INSERT INTO scan_host_scope (scan_id, lo, hi) SELECT DISTINCT CAST(? AS integer), ip_key, ip_key FROM stage_hosts', [scanId]);
  }
  if (ports) {
    const rows = PROTOS.flatMap((p) => (ports[p] ?? []).map((r) => ({ scan_id: scanId, proto: p, lo: r.lo, hi: r.hi })));
    await insertMany(trx, dialect, 'scan_port_scope', rows);
  }
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
  known_mac: string | null;
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

interface PortKey {
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

export const HOST_UPDATE_COLS = ['ip', 'status', 'hostname', 'names_known', 'mac', 'last_seen', 'miss_streak', 'ever_down', 'all_ports', 'last_change', 'last_scan_id', 'change_scan_id'];
export const HOST_MISS_COLS = ['status', 'miss_streak', 'ever_down', 'all_ports', 'last_change', 'change_scan_id'];

export async function upsertHosts(trx: Trx, dialect: Dialect, rows: readonly object[], cols: readonly string[]): Promise<void> {
  await upsertMany(trx, dialect, 'host_state', ['scanner_id', 'ip_key'], cols, rows);
}

/** Hosts the scan reports up (several records of one ip merged) and not handled by applyUnchangedHosts, with their stored state. */
export function hostsUp(scanId: number, scannerId: number): PagedQuery<StagedHostRow & Record<string, unknown>> {
  return {
    build: (after, limit) => `
      SELECT a.ip_key, a.ip, a.timed_out, a.ptr, a.mac, a.open_count,
             h.status, h.hostname, h.names_known, h.miss_streak, h.ever_down, h.all_ports, h.mac AS known_mac
        FROM (SELECT ip_key, MIN(ip) AS ip, MAX(timed_out) AS timed_out, MAX(ptr) AS ptr, MAX(mac) AS mac, SUM(open_count) AS open_count
                FROM stage_hosts s WHERE 1 = 1 ${after.replace('$KEY', 'ip_key')}
                 AND NOT EXISTS (SELECT 1 FROM host_state x WHERE x.scanner_id = :scanner AND x.ip_key = s.ip_key AND x.last_scan_id = :scan)
               GROUP BY ip_key HAVING MAX(up) = 1 ORDER BY ip_key ${limit}) a
        LEFT JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = a.ip_key
       ORDER BY a.ip_key`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key'],
  };
}

/**
 * The hosts a scan works on: the ones it staged and the ones known as up it did not list
 * (delta-reporter/seen-hosts.ts, db/staging.ts stage_touched); every other host it skipped,
 * listed exactly as before. The queries below start from these (CROSS JOIN fixes SQLite's join order) and page on `KEYED`, an
 * expression SQLite cannot turn into a range over the whole state table, plus `k.ip_key >= :k0`,
 * which starts each page's scan of stage_touched where the last one ended instead of at its first
 * row (on PostgreSQL a cursor walks the pages and the key is not used).
 */
const TOUCHED = 'stage_touched k';
const KEYED = "k.ip_key || ''";
const touchedAfter = (after: string, cols: string): string => (after ? `${after.replace('$KEY', cols)} AND k.ip_key >= :k0` : '');
/**
 * The touched key as the state tables are joined on it. With that bound, SQLite would carry
 * `ip_key >= :k0` over to port_state through a plain `p.ip_key = k.ip_key` and read it as a range
 * (every page re-reading the scanner's ports from there on); `+k.ip_key` is an expression it does
 * not carry anything through. PostgreSQL, which walks with a cursor and gets no bound, keeps the plain column.
 */
const touchedKey = (after: string): string => (after ? '+k.ip_key' : 'k.ip_key');

/** Hosts this scanner knows as up that the scan did not report up. */
export function hostsMissing(scanId: number, scannerId: number): PagedQuery<MissingHostRow & Record<string, unknown>> {
  return {
    build: (after, limit) => `
      SELECT h.ip_key, h.ip, h.hostname, h.names_known, h.miss_streak, h.ever_down, h.all_ports,
             CASE WHEN EXISTS (SELECT 1 FROM scan_host_scope r WHERE r.scan_id = :scan AND h.ip_key BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_scope,
             CASE WHEN EXISTS (SELECT 1 FROM stage_hosts s WHERE s.ip_key = h.ip_key AND s.timed_out = 1) THEN 1 ELSE 0 END AS timed_out
        FROM ${TOUCHED} CROSS JOIN host_state h
       WHERE h.scanner_id = :scanner AND h.ip_key = ${touchedKey(after)} AND h.status = 'up' AND h.last_scan_id <> :scan ${touchedAfter(after, KEYED)}
       ORDER BY k.ip_key ${limit}`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key'],
  };
}

/** Ports the scan lists for hosts it reports up, not handled by applyUnchangedPorts, with their stored state and the host's decision. */
export function portsSeen(scanId: number, scannerId: number): PagedQuery<StagedPortRow & Record<string, unknown>> {
  return {
    build: (after, limit) => `
      SELECT a.ip_key, h.ip, a.proto, a.port, a.open, a.service,
             p.reported, p.open_streak, p.miss_streak, p.last_change,
             h.last_change AS host_change, h.all_ports, h.ever_down, h.hostname
        FROM (SELECT ip_key, proto, port, MAX(open) AS open, MAX(service) AS service
                FROM stage_ports s WHERE 1 = 1 ${after.replace('$KEY', 'ip_key, proto, port')}
                 AND NOT EXISTS (SELECT 1 FROM port_state x WHERE x.scanner_id = :scanner AND x.ip_key = s.ip_key AND x.proto = s.proto AND x.port = s.port AND x.last_scan_id = :scan)
               GROUP BY ip_key, proto, port ORDER BY ip_key, proto, port ${limit}) a
        JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = a.ip_key AND h.last_scan_id = :scan
        LEFT JOIN port_state p ON p.scanner_id = :scanner AND p.ip_key = a.ip_key AND p.proto = a.proto AND p.port = a.port
       ORDER BY a.ip_key, a.proto, a.port`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key', 'proto', 'port'],
  };
}

/** Ports reported open (or on their way to it) that the scan did not list, for hosts the scan saw or just took down. */
export function portsMissing(scanId: number, scannerId: number): PagedQuery<MissingPortRow & Record<string, unknown>> {
  return {
    build: (after, limit) => `
      SELECT p.ip_key, p.ip, p.proto, p.port, p.reported, p.open_streak, p.miss_streak,
             CASE WHEN h.last_scan_id = :scan THEN 1 ELSE 0 END AS host_seen,
             CASE WHEN h.change_scan_id = :scan THEN h.last_change ELSE 0 END AS host_change,
             h.all_ports, h.hostname,
             CASE WHEN EXISTS (SELECT 1 FROM scan_host_scope r WHERE r.scan_id = :scan AND p.ip_key BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_host_scope,
             CASE WHEN EXISTS (SELECT 1 FROM scan_port_scope r WHERE r.scan_id = :scan AND r.proto = p.proto AND p.port BETWEEN r.lo AND r.hi) THEN 1 ELSE 0 END AS in_port_scope,
             CASE WHEN EXISTS (SELECT 1 FROM stage_unknown_ports u WHERE u.ip_key = p.ip_key AND u.proto = p.proto AND p.port BETWEEN u.lo AND u.hi) THEN 1 ELSE 0 END AS unknown,
             CASE WHEN EXISTS (SELECT 1 FROM stage_hosts s WHERE s.ip_key = p.ip_key AND s.timed_out = 1) THEN 1 ELSE 0 END AS timed_out
        FROM ${TOUCHED} CROSS JOIN host_state h CROSS JOIN port_state p
       WHERE h.scanner_id = :scanner AND h.ip_key = ${touchedKey(after)} AND (h.last_scan_id = :scan OR h.change_scan_id = :scan)
         AND p.scanner_id = :scanner AND p.ip_key = ${touchedKey(after)} AND (p.reported = 'open' OR p.open_streak > 0) AND p.last_scan_id <> :scan
         ${touchedAfter(after, `${KEYED}, p.proto, p.port`)}
       ORDER BY k.ip_key, p.proto, p.port ${limit}`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key', 'proto', 'port'],
  };
}

export const PORT_SEEN_COLS = ['ip', 'reported', 'open_streak', 'miss_streak', 'service', 'last_seen', 'last_change', 'last_scan_id'];
export const PORT_MISS_COLS = ['reported', 'open_streak', 'miss_streak', 'last_change'];

export async function upsertPorts(trx: Trx, dialect: Dialect, rows: readonly object[], cols: readonly string[]): Promise<void> {
  await upsertMany(trx, dialect, 'port_state', ['scanner_id', 'ip_key', 'proto', 'port'], cols, rows);
}

export async function countStaged(trx: Trx): Promise<{ hosts: number; ports: number }> {
  const h = rowsOf<{ n: number }>(await trx.raw('SELECT COUNT(DISTINCT ip_key) AS n FROM stage_hosts WHERE up = 1'));
  const p = rowsOf<{ n: number }>(
    await trx.raw('SELECT COUNT(*) AS n FROM (SELECT DISTINCT ip_key, proto, port FROM stage_ports WHERE open = 1) d'),
  );
  return { hosts: Number(h[0].n), ports: Number(p[0].n) };
}

/**
 * The common case in one statement: a host up before and up now, with nothing to report (same
 * name, no all-ports flip). Exactly what classifyHostUp decides for change 0 (the oracle and threshold
 * suites run both paths); the classifier then walks only the hosts left.
 */
export async function applyUnchangedHosts(trx: Trx, p: { dialect: Dialect; scanId: number; scannerId: number; at: number; resolvesNames: boolean; maxOpenPorts: number }): Promise<void> {
  const b = { resolves: p.resolvesNames ? 1 : 0, at: p.at, max: p.maxOpenPorts, unchanged: ChangeType.unchanged, scan: p.scanId, scanner: p.scannerId };
  // Row by row from the staged hosts (IN on the key, the rest as lookups by key): an UPDATE … FROM
  // would let SQLite walk the scanner's whole state and probe the staging, now that most hosts
  // are not staged at all (delta-reporter/seen-hosts.ts). It names no new id, so PostgreSQL may
  // plan it by key: hash-joining the scanner's whole state for a few staged hosts cost 2 s a night.
  const staged = (expr: string) => `(SELECT ${expr} FROM stage_hosts s WHERE s.ip_key = host_state.ip_key)`;
  await p.dialect.byKey(trx, () => trx.raw(
    `UPDATE host_state SET
        hostname = CASE WHEN :resolves = 1 THEN ${staged('MAX(s.ptr)')} ELSE host_state.hostname END,
        names_known = CASE WHEN :resolves = 1 THEN 1 ELSE host_state.names_known END,
        mac = COALESCE(${staged('MAX(s.mac)')}, host_state.mac),
        last_seen = :at, miss_streak = 0,
        all_ports = CASE WHEN ${staged('SUM(s.open_count)')} > :max THEN 1 ELSE 0 END,
        last_change = :unchanged, last_scan_id = :scan, change_scan_id = :scan
      WHERE host_state.scanner_id = :scanner AND host_state.status = 'up'
        AND host_state.ip_key IN (SELECT ip_key FROM stage_hosts GROUP BY ip_key HAVING MAX(up) = 1)
        AND NOT (:resolves = 1 AND host_state.names_known = 1 AND COALESCE(host_state.hostname, '') <> COALESCE(${staged('MAX(s.ptr)')}, ''))
        AND NOT (${staged('SUM(s.open_count)')} > :max AND host_state.all_ports = 0)`,
    b,
  ));
}

/** Likewise for ports: reported open, open again, on a host seen up now. classifyPort gives change 0, streak + 1. */
export async function applyUnchangedPorts(trx: Trx, p: { scanId: number; scannerId: number; at: number }): Promise<void> {
  await trx.raw(
    `UPDATE port_state SET
        open_streak = port_state.open_streak + 1, miss_streak = 0,
        service = (SELECT MAX(s.service) FROM stage_ports s WHERE s.ip_key = port_state.ip_key AND s.proto = port_state.proto AND s.port = port_state.port),
        last_seen = :at, last_change = :unchanged, last_scan_id = :scan
      WHERE port_state.scanner_id = :scanner AND port_state.reported = 'open'
        AND (port_state.ip_key, port_state.proto, port_state.port) IN (
              SELECT s.ip_key, s.proto, s.port FROM stage_ports s CROSS JOIN host_state h
               WHERE h.scanner_id = :scanner AND h.ip_key = s.ip_key AND h.last_scan_id = :scan AND h.all_ports = 0
               GROUP BY s.ip_key, s.proto, s.port HAVING MAX(s.open) = 1)`,
    { at: p.at, unchanged: ChangeType.unchanged, scan: p.scanId, scanner: p.scannerId },
  );
}

interface NewRowParams {
  scanId: number;
  scannerId: number;
  at: number;
  resolvesNames: boolean;
  maxOpenPorts: number;
  openAfter: number;
}

// The change types the first-sighting statements write, bound from their one definition (common/types.ts).
const TYPE_BINDINGS = Object.freeze({
  unchanged: ChangeType.unchanged,
  newHost: ChangeType.new_host,
  newPort: ChangeType.new_port,
  allPortsAnswer: ChangeType.all_ports_answer,
});

const UP_HOSTS = `SELECT ip_key, MIN(ip) AS ip, MAX(ptr) AS ptr, MAX(mac) AS mac, SUM(open_count) AS open_count
                    FROM stage_hosts GROUP BY ip_key HAVING MAX(up) = 1`;

/**
 * The first load's common case in two statements: hosts this scanner has never seen, exactly as
 * classifyHostUp(null, …) decides — new_host (plus all_ports_answer past max_open_ports), the name
 * if the scan resolved names. The change rows go first, while NOT EXISTS still finds them new.
 */
export async function applyNewHosts(trx: Trx, p: NewRowParams): Promise<void> {
  const b = { scan: p.scanId, scanner: p.scannerId, at: p.at, resolves: p.resolvesNames ? 1 : 0, max: p.maxOpenPorts, ...TYPE_BINDINGS };
  const fresh = `FROM (${UP_HOSTS}) s WHERE NOT EXISTS (SELECT 1 FROM host_state h WHERE h.scanner_id = :scanner AND h.ip_key = s.ip_key)`;
  const type = ':newHost + CASE WHEN s.open_count > :max THEN :allPortsAnswer ELSE 0 END';
  const name = 'CASE WHEN :resolves = 1 THEN s.ptr ELSE NULL END';
  await trx.raw(
    `INSERT INTO changes (scanner_id, scan_id, ip_key, ip, proto, port, type, hostname, previous_hostname, "returning", detected_at)
     SELECT :scanner, :scan, s.ip_key, s.ip, NULL, NULL, ${type}, ${name}, NULL, 0, :at ${fresh} ORDER BY s.ip_key`,
    b,
  );
  await trx.raw(
    `INSERT INTO host_state (scanner_id, ip_key, ip, status, hostname, names_known, mac, first_seen, last_seen, miss_streak, ever_down, all_ports, last_change, last_scan_id, change_scan_id)
     SELECT :scanner, s.ip_key, s.ip, 'up', ${name}, :resolves, s.mac, :at, :at, 0, 0, CASE WHEN s.open_count > :max THEN 1 ELSE 0 END, ${type}, :scan, :scan ${fresh}`,
    b,
  );
}

/**
 * Ports never seen before, open now, on a host the scan saw (and that does not answer on every
 * port): classifyPort(null, 'open', …) — new_port, with new_host when the host is new in this scan,
 * once open_after allows; otherwise only the first sighting is recorded.
 */
export async function applyNewPorts(trx: Trx, p: NewRowParams): Promise<void> {
  const b = { scan: p.scanId, scanner: p.scannerId, at: p.at, reportNow: p.openAfter <= 1 ? 1 : 0, ...TYPE_BINDINGS };
  const hostNew = '(CASE WHEN h.change_scan_id = :scan AND (h.last_change & :newHost) <> 0 THEN :newHost ELSE 0 END)';
  await trx.raw(
    `INSERT INTO port_state (scanner_id, ip_key, ip, proto, port, reported, open_streak, miss_streak, service, first_seen, last_seen, last_change, last_scan_id)
     SELECT :scanner, s.ip_key, h.ip, s.proto, s.port, CASE WHEN :reportNow = 1 THEN 'open' ELSE NULL END, 1, 0, s.service, :at, :at,
            CASE WHEN :reportNow = 1 THEN :newPort + ${hostNew} ELSE :unchanged END, :scan
       FROM (SELECT ip_key, proto, port, MAX(service) AS service
               FROM stage_ports GROUP BY ip_key, proto, port HAVING MAX(open) = 1) s
       CROSS JOIN host_state h
      WHERE h.scanner_id = :scanner AND h.ip_key = s.ip_key AND h.last_scan_id = :scan AND h.all_ports = 0
        AND NOT EXISTS (SELECT 1 FROM port_state x WHERE x.scanner_id = :scanner AND x.ip_key = s.ip_key AND x.proto = s.proto AND x.port = s.port)`,
    b,
  );
  if (p.openAfter > 1) return;
  // The change rows are read back from the rows just written, the only ones this scan has marked
  // new_port so far (the fast path marks 0; the classifier's walk comes after), found from the
  // staged ports: the scanner's whole state is no longer the scan's size.
  await trx.raw(
    `INSERT INTO changes (scanner_id, scan_id, ip_key, ip, proto, port, type, hostname, previous_hostname, "returning", detected_at)
     SELECT :scanner, :scan, p.ip_key, p.ip, p.proto, p.port, p.last_change, h.hostname, NULL,
            CASE WHEN (p.last_change & :newHost) <> 0 AND h.ever_down = 1 THEN 1 ELSE 0 END, :at
       FROM (SELECT DISTINCT ip_key, proto, port FROM stage_ports WHERE open = 1) s
       CROSS JOIN port_state p CROSS JOIN host_state h
      WHERE p.scanner_id = :scanner AND p.ip_key = s.ip_key AND p.proto = s.proto AND p.port = s.port
        AND h.scanner_id = :scanner AND h.ip_key = p.ip_key
        AND p.last_scan_id = :scan AND (p.last_change & :newPort) <> 0
      ORDER BY p.ip_key, p.proto, p.port`,
    b,
  );
}

/** Ports this scan saw open that are not reported open yet (open_after), for `diff`'s explanations. */
export async function pendingOpen(trx: Trx, scanId: number, scannerId: number): Promise<Array<{ ip: string; proto: string; port: number; open_streak: number }>> {
  return trx('port_state').where({ scanner_id: scannerId, last_scan_id: scanId }).where('open_streak', '>', 0)
    .andWhere((q) => { q.whereNull('reported').orWhereNot('reported', 'open'); })
    .select('ip', 'proto', 'port', 'open_streak').orderBy(['ip_key', 'proto', 'port']);
}

/** Whether the scanner has an applied scan besides `exceptScan`: if not, that scan is its baseline. */
export async function hasAppliedScan(trx: Trx, scannerId: number, exceptScan: number): Promise<boolean> {
  return (await trx('scans').where({ scanner_id: scannerId, status: 'applied' }).whereNot({ id: exceptScan }).first('id')) !== undefined;
}

/** Marks a scan's changes as the scanner's baseline (its first applied scan). */
export async function markBaseline(trx: Trx, scanId: number): Promise<void> {
  await trx('changes').where({ scan_id: scanId }).update({ baseline: 1 });
}

/** The changes a scan recorded, counted per type mask. */
export async function countChanges(trx: Trx, scanId: number): Promise<Map<number, number>> {
  const rows = rowsOf<{ type: number; n: number }>(await trx.raw('SELECT type, COUNT(*) AS n FROM changes WHERE scan_id = ? GROUP BY type', [scanId]));
  return new Map(rows.map((r) => [Number(r.type), Number(r.n)]));
}
