// The read behind `audit`: every port some scanner reports open, one row per (ip, proto, port) with
// the scanners that see it. Each scanner's rows are read in keyset pages along the port_state primary
// key (scanner_id, ip_key, proto, port), so memory stays flat and no page re-sorts the table, and the
// sorted streams of all scanners are merged here.
import type { Knex } from 'knex';
import type { IpRange, PortScope, Proto } from '../common/types';
import { whereNetworks } from './query-repo';

/**
 * The target-state policy compiled for the database (output-agents/policy-match.ts): the address
 * ranges some rule covers, and per owner the boxes of (addresses, ports) whose open ports break it.
 */
export interface PolicyRegions {
  covered: IpRange[];
  violating: Array<{ owner: string | null; boxes: Array<{ lo: string; hi: string; ports: PortScope }> }>;
}

/** A WHERE fragment over port_state's columns (alias p) and its bindings. */
interface Predicate {
  sql: string;
  bindings: Array<string | number>;
}

export interface OpenPortGroup {
  ip: string;
  proto: Proto;
  port: number;
  /** The first name any of the scanners knows for the host (scanners in name order). */
  hostname: string | null;
  /** The scanners reporting it open, by name. */
  scanners: string[];
}

interface Row {
  ip_key: string;
  ip: string;
  proto: Proto;
  port: number;
  hostname: string | null;
}

const PAGE = 5000;

/** The hosts' names, for one page's addresses (a join per page made PostgreSQL hash the whole host_state each time). */
async function hostnames(knex: Knex, scannerId: number, keys: string[]): Promise<Map<string, string | null>> {
  if (keys.length === 0) return new Map();
  const rows: Array<{ ip_key: string; hostname: string | null }> = await knex('host_state').where('scanner_id', scannerId).whereIn('ip_key', keys).select('ip_key', 'hostname');
  return new Map(rows.map((r) => [r.ip_key, r.hostname]));
}

async function* scannerRows(knex: Knex, scannerId: number, networks: IpRange[] | undefined, where: Predicate | undefined, first: number): AsyncGenerator<Row> {
  let after: [string, string, number] = ['', '', -1];
  // a page of the dashboard needs its rows only: the first read is that long, the next ones grow
  for (let size = Math.min(first, PAGE); ; size = Math.min(size * 4, PAGE)) {
    const q = knex('port_state as p')
      .where('p.scanner_id', scannerId)
      .where('p.reported', 'open')
      .whereRaw('(p.ip_key, p.proto, p.port) > (?, ?, ?)', after)
      .select('p.ip_key', 'p.ip', 'p.proto', 'p.port')
      .orderBy([{ column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }])
      .limit(size);
    whereNetworks(q, 'p.ip_key', networks);
    if (where) q.whereRaw(where.sql, where.bindings);
    const page: Array<Omit<Row, 'hostname'>> = await q;
    const names = await hostnames(knex, scannerId, [...new Set(page.map((r) => r.ip_key))]);
    for (const r of page) yield { ...r, port: Number(r.port), hostname: names.get(r.ip_key) ?? null };
    if (page.length < size) return;
    const last = page[page.length - 1];
    after = [last.ip_key, last.proto, Number(last.port)];
  }
}

const order = (a: Row, b: Row): number =>
  a.ip_key < b.ip_key ? -1 : a.ip_key > b.ip_key ? 1 : a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.port - b.port;

async function scannersOf(knex: Knex, scanner: string | undefined): Promise<Array<{ id: number; name: string }>> {
  const q = knex('scanners').select('id', 'name').orderBy('name');
  if (scanner) q.where('name', scanner);
  return q;
}

/** Open ports in address, protocol, port order; with `where`, only those it holds for. */
export async function* openPortGroups(knex: Knex, f: { scanner?: string; networks?: IpRange[] }, where?: Predicate, first = PAGE): AsyncGenerator<OpenPortGroup> {
  const scanners = await scannersOf(knex, f.scanner);
  const streams = scanners.map((s) => ({ name: s.name, rows: scannerRows(knex, s.id, f.networks, where, Math.max(1, first)), head: null as Row | null }));
  for (const s of streams) s.head = (await s.rows.next()).value ?? null;
  for (;;) {
    let min: Row | null = null;
    for (const s of streams) if (s.head && (!min || order(s.head, min) < 0)) min = s.head;
    if (!min) return;
    const group: OpenPortGroup = { ip: min.ip, proto: min.proto, port: min.port, hostname: null, scanners: [] };
    for (const s of streams) {
      if (!s.head || order(s.head, min) !== 0) continue;
      group.scanners.push(s.name);
      group.hostname ??= s.head.hostname;
      s.head = (await s.rows.next()).value ?? null;
    }
    yield group;
  }
}

/** Bindings above this and the policy is checked in memory instead (SQLite allows 32,766; the SQL stays readable). */
const MAX_BINDINGS = 2000;

function boxesSql(boxes: PolicyRegions['violating'][number]['boxes'], bindings: Array<string | number>, t = 'p'): string {
  const ors = boxes.map((b) => {
    bindings.push(b.lo, b.hi);
    const protos = Object.entries(b.ports).map(([proto, ranges]) => {
      bindings.push(proto);
      if (ranges.length === 1 && ranges[0].lo === 0 && ranges[0].hi === 65535) return `${t}.proto = ?`;
      const ports = ranges.map((r) => {
        bindings.push(r.lo, r.hi);
        return `${t}.port BETWEEN ? AND ?`;
      });
      return `(${t}.proto = ? AND (${ports.join(' OR ')}))`;
    });
    return `(${t}.ip_key BETWEEN ? AND ? AND (${protos.join(' OR ')}))`;
  });
  return ors.length ? `(${ors.join(' OR ')})` : '(1 = 0)';
}

function rangesSql(ranges: IpRange[], bindings: Array<string | number>, t = 'p'): string {
  if (ranges.length === 0) return '(1 = 0)';
  return `(${ranges.map((r) => (bindings.push(r.lo, r.hi), `${t}.ip_key BETWEEN ? AND ?`)).join(' OR ')})`;
}

/**
 * The changes (alias c) whose policy verdict is `verdict`, as policy.ts judges them: an opening
 * change is expected when the port is allowed, a closing one when it is not, on covered addresses;
 * every other change has no verdict. `opening` and `closing` are the type masks. Null when the
 * policy is too large to say in SQL.
 */
export function verdictPredicate(regions: PolicyRegions, verdict: 'expected' | 'unexpected' | 'none', types: { opening: number; closing: number }): Predicate | null {
  const b: Array<string | number> = [];
  const opening = () => (b.push(types.opening), '(c.type & ?) <> 0');
  const closingOnly = () => (b.push(types.opening, types.closing), '(c.type & ?) = 0 AND (c.type & ?) <> 0');
  const breaks = () => boxesSql(regions.violating.flatMap((v) => v.boxes), b, 'c');
  const covered = () => rangesSql(regions.covered, b, 'c');
  const unexpected = () => `((${opening()} AND ${breaks()}) OR (${closingOnly()} AND ${covered()} AND NOT ${breaks()}))`;
  const expected = () => `(c.port IS NOT NULL AND ((${opening()} AND ${covered()} AND NOT ${breaks()}) OR (${closingOnly()} AND ${breaks()})))`;
  const sql = verdict === 'unexpected' ? unexpected() : verdict === 'expected' ? expected() : `NOT (${unexpected()} OR ${expected()})`;
  return b.length > MAX_BINDINGS ? null : { sql, bindings: b };
}

/** The open ports that break the policy, as a predicate; null when the policy is too large to say in SQL. */
export function violationPredicate(regions: PolicyRegions): Predicate | null {
  const bindings: Array<string | number> = [];
  const sql = boxesSql(regions.violating.flatMap((v) => v.boxes), bindings);
  return bindings.length > MAX_BINDINGS ? null : { sql, bindings };
}

export interface AuditCounts {
  /** Open (ip, proto, port) in the scope. */
  checked: number;
  /** Of those, on addresses no rule covers. */
  uncovered: number;
  /** Per owner (null: none), the open ports that break the policy. */
  owners: Array<{ owner: string | null; n: number }>;
}

/**
 * The audit's counts in one pass of the database over the scope's open ports, or null when the
 * policy is too large to say in SQL. With several scanners an (ip, proto, port) they share counts once.
 */
export async function auditCounts(knex: Knex, regions: PolicyRegions, f: { scanner?: string; networks?: IpRange[] }): Promise<AuditCounts | null> {
  const scanners = await scannersOf(knex, f.scanner);
  if (scanners.length === 0) return { checked: 0, uncovered: 0, owners: [] };
  const bindings: Array<string | number> = [];
  const columns = [`SUM(CASE WHEN ${rangesSql(regions.covered, bindings)} THEN 0 ELSE 1 END) AS uncovered`];
  regions.violating.forEach((v, i) => columns.push(`SUM(CASE WHEN ${boxesSql(v.boxes, bindings)} THEN 1 ELSE 0 END) AS o${i}`));
  if (bindings.length > MAX_BINDINGS) return null;
  const inner = knex('port_state as p').whereIn('p.scanner_id', scanners.map((s) => s.id)).where('p.reported', 'open');
  whereNetworks(inner, 'p.ip_key', f.networks);
  const from = scanners.length === 1 ? inner.select('p.ip_key', 'p.proto', 'p.port') : inner.distinct('p.ip_key', 'p.proto', 'p.port');
  const row = (await knex.select(knex.raw(`COUNT(*) AS checked, ${columns.join(', ')}`, bindings)).from(from.as('p')).first()) as Record<string, unknown>;
  const n = (k: string): number => Number(row[k] ?? 0);
  return { checked: n('checked'), uncovered: n('uncovered'), owners: regions.violating.map((v, i) => ({ owner: v.owner, n: n(`o${i}`) })).filter((o) => o.n > 0) };
}

/**
 * Changes whenever the open ports or what is shown of them can have changed: every ingest makes a
 * scan, and a cleanup that deletes an open port lowers the kept per-port host counts.
 */
export async function openPortsVersion(knex: Knex): Promise<string> {
  const row = (await knex.select(knex.raw('(SELECT MAX(id) FROM scans) AS s, (SELECT SUM(hosts) FROM open_port_counts) AS h, (SELECT COUNT(*) FROM scanners) AS n')).first()) as Record<string, unknown>;
  return `${String(row.s)}:${String(row.h)}:${String(row.n)}`;
}
