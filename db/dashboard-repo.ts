// Read queries behind the dashboard's pages (server/pages/) that `changes`, `state` and `hosts` do
// not already answer: counts of the state now, top open ports, per-scan totals, one port's hosts,
// recent scans and failed files. Every filter is parameterised; networks are BETWEENs on ip_key.
import type { Knex } from 'knex';
import type { CertFacts, IpRange, Proto, ServiceFingerprint } from '../common/types';
import { iso, whereNetworks } from './query-repo';
import { V4_PREFIX } from '../common/ip';
import { block24 } from './state-counts-repo';
import { parseCert, parseService } from '../common/service-facts';

const num = (v: unknown): number => Number(v ?? 0);

export interface Scope {
  scanner?: string;
  networks?: IpRange[];
}

function scoped(q: Knex.QueryBuilder, alias: string, f: Scope): Knex.QueryBuilder {
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, `${alias}.ip_key`, f.networks);
  // The state tables' key is (scanner_id, ip_key, …): naming the scanners lets a network be a
  // range of that key, scanner by scanner, instead of a read of every row.
  if (f.networks?.length && alias !== 'c') q.whereRaw(`${alias}.scanner_id IN (SELECT id FROM scanners)`);
  return q;
}

/** Whether the scope covers every network: the counts kept at ingest answer it (db/state-counts-repo.ts). */
const everywhere = (f: Scope): boolean => !f.networks?.length;

/** Per scanner in the scope: [hosts up, open ports], from the kept counts or (bound to networks) from the state. */
async function perScanner(knex: Knex, f: Scope): Promise<[Array<Record<string, unknown>>, Array<Record<string, unknown>>]> {
  if (everywhere(f)) {
    const named = (q: Knex.QueryBuilder, alias: string) => (f.scanner ? q.where('s.name', f.scanner) : q).join('scanners as s', 's.id', `${alias}.scanner_id`);
    return [
      await named(knex('host_up_counts as h').where('h.hosts', '>', 0), 'h').select('s.name as scanner', 'h.hosts as n'),
      await named(knex('open_port_counts as p').where('p.hosts', '>', 0), 'p').groupBy('s.name').select('s.name as scanner', knex.raw('SUM(p.hosts) AS n')),
    ];
  }
  return [
    await scoped(knex('host_state as h').join('scanners as s', 's.id', 'h.scanner_id').where('h.status', 'up'), 'h', f)
      .groupBy('s.name').select('s.name as scanner', knex.raw('COUNT(*) AS n')),
    await scoped(knex('port_state as p').join('scanners as s', 's.id', 'p.scanner_id').where('p.reported', 'open'), 'p', f)
      .groupBy('s.name').select('s.name as scanner', knex.raw('COUNT(*) AS n')),
  ];
}

/** Hosts up and open ports now, per scanner, inside the scope. */
export async function stateCounts(knex: Knex, f: Scope): Promise<Array<{ scanner: string; hosts_up: number; open_ports: number }>> {
  const [hosts, ports] = await perScanner(knex, f);
  const out = new Map<string, { scanner: string; hosts_up: number; open_ports: number }>();
  const row = (name: string) => out.get(name) ?? out.set(name, { scanner: name, hosts_up: 0, open_ports: 0 }).get(name)!;
  for (const r of hosts as Array<Record<string, unknown>>) row(r.scanner as string).hosts_up = num(r.n);
  for (const r of ports as Array<Record<string, unknown>>) row(r.scanner as string).open_ports = num(r.n);
  return [...out.values()].sort((a, b) => (a.scanner < b.scanner ? -1 : a.scanner > b.scanner ? 1 : 0));
}

/**
 * From the kept counts: one scanner's counts as they are. For every scanner, a port only one
 * scanner sees open is counted right there; for a port several see, the kept counts bound the
 * hosts between their largest and their sum, so only the ports whose sum could still reach the top
 * are counted in the state (one port's open rows, through the index of open rows). Null when the
 * scope is bound to networks (the counts cover every network).
 */
async function topPortsCounted(knex: Knex, f: Scope, limit: number): Promise<Array<Record<string, unknown>> | null> {
  if (!everywhere(f)) return null;
  const q = knex('open_port_counts as c').where('c.hosts', '>', 0);
  if (f.scanner) {
    return q.join('scanners as s', 's.id', 'c.scanner_id').where('s.name', f.scanner)
      .select('c.proto', 'c.port', 'c.hosts').orderBy([{ column: 'c.hosts', order: 'desc' }, { column: 'c.port' }, { column: 'c.proto' }]).limit(limit);
  }
  const bounds: Array<{ proto: Proto; port: unknown; upper: unknown; scanners: unknown }> = await q.groupBy('c.proto', 'c.port')
    .select('c.proto', 'c.port', knex.raw('SUM(c.hosts) AS upper'), knex.raw('COUNT(*) AS scanners')).orderByRaw('SUM(c.hosts) DESC');
  const exact: Array<{ proto: Proto; port: number; hosts: number }> = [];
  const rank = (a: { proto: Proto; port: number; hosts: number }, b: typeof a) => b.hosts - a.hosts || a.port - b.port || (a.proto < b.proto ? -1 : 1);
  for (const b of bounds) {
    // sorted by the sum: once the limit-th exact count beats it, no later port can enter
    if (exact.length >= limit && exact[limit - 1].hosts > num(b.upper)) break;
    const hosts = num(b.scanners) === 1 ? num(b.upper) : await hostsOnPort(knex, b.proto, num(b.port));
    exact.push({ proto: b.proto, port: num(b.port), hosts });
    exact.sort(rank);
    if (exact.length > limit) exact.pop();
  }
  return exact;
}

/** Hosts with the port open, by any scanner (a host counted once). */
async function hostsOnPort(knex: Knex, proto: Proto, port: number): Promise<number> {
  const row = await knex('port_state').where({ proto, port, reported: 'open' }).first(knex.raw('COUNT(DISTINCT ip_key) AS n'));
  return num(row?.n);
}

/** The ports open on the most hosts now (a host counted once however many scanners see it). */
export async function topPorts(knex: Knex, f: Scope, limit: number): Promise<Array<{ proto: Proto; port: number; hosts: number }>> {
  const rows = await topPortsCounted(knex, f, limit) ?? await scoped(knex('port_state as p').join('scanners as s', 's.id', 'p.scanner_id').where('p.reported', 'open'), 'p', f)
    .groupBy('p.proto', 'p.port')
    .select('p.proto', 'p.port', knex.raw('COUNT(DISTINCT p.ip_key) AS hosts'))
    .orderByRaw('COUNT(DISTINCT p.ip_key) DESC, p.port, p.proto')
    .limit(limit);
  return rows.map((r: Record<string, unknown>) => ({ proto: r.proto as Proto, port: num(r.port), hosts: num(r.hosts) }));
}

export interface ScanPoint {
  scanner: string;
  scan_id: number;
  /** The scan's own time (finished, else started), epoch ms. */
  at: number;
  hosts_up: number;
  ports_open: number;
  complete: boolean;
}

/** Every applied scan with a time, oldest first: its totals as ingest recorded them (every network). */
export async function scanSeries(knex: Knex, f: { scanner?: string; limit: number }): Promise<ScanPoint[]> {
  const q = knex('scans as sc').join('scanners as s', 's.id', 'sc.scanner_id')
    .where('sc.status', 'applied').whereRaw('COALESCE(sc.finished_at, sc.started_at) IS NOT NULL')
    .select('s.name as scanner', 'sc.id', knex.raw('COALESCE(sc.finished_at, sc.started_at) AS at'), 'sc.hosts_up', 'sc.ports_open', 'sc.complete')
    .orderByRaw('COALESCE(sc.finished_at, sc.started_at) DESC, sc.id DESC')
    .limit(f.limit);
  if (f.scanner) q.where('s.name', f.scanner);
  const rows = await q;
  return rows.reverse().map((r: Record<string, unknown>) => ({
    scanner: r.scanner as string, scan_id: num(r.id), at: num(r.at), hosts_up: num(r.hosts_up), ports_open: num(r.ports_open), complete: !!num(r.complete),
  }));
}

export interface OpenPortRow {
  scanner: string;
  ip: string;
  proto: Proto;
  port: number;
  service: string | null;
  hostname: string | null;
  first_seen: string;
  last_seen: string;
  /** The last probed fingerprint and the last certificate (port_facts), where a scan gave them. */
  fingerprint: ServiceFingerprint | null;
  cert: CertFacts | null;
}

/**
 * One port's hosts, a page at a time: how many hosts have it open now in the scope, and the open
 * ports rows (openPortsWithService) of the hosts at [offset, offset + limit) in address order.
 */
export async function portHostsPage(knex: Knex, f: Scope & { proto: Proto; port: number }, offset: number, limit: number): Promise<{ hosts: number; rows: OpenPortRow[] }> {
  const open = () => scoped(knex('port_state as p').join('scanners as s', 's.id', 'p.scanner_id')
    .where({ 'p.proto': f.proto, 'p.port': f.port, 'p.reported': 'open' }), 'p', f);
  const total = (await keptHostsOnPort(knex, f)) ?? num((await open().first(knex.raw('COUNT(DISTINCT p.ip_key) AS n')))?.n);
  const keys = (await open().distinct('p.ip_key').orderBy('p.ip_key').limit(limit).offset(offset)).map((r: { ip_key: string }) => r.ip_key);
  return { hosts: total, rows: keys.length ? await openPortsWithService(knex, { ...f, keys }) : [] };
}

/**
 * The hosts with the port open, from the counts kept at ingest, when they answer it: every network,
 * and at most one scanner in the scope sees the port open (else a host two scanners see would count
 * twice). Null when the state must be counted.
 */
async function keptHostsOnPort(knex: Knex, f: Scope & { proto: Proto; port: number }): Promise<number | null> {
  if (!everywhere(f)) return null;
  const q = knex('open_port_counts as c').join('scanners as s', 's.id', 'c.scanner_id').where({ 'c.proto': f.proto, 'c.port': f.port }).where('c.hosts', '>', 0).select('c.hosts');
  if (f.scanner) q.where('s.name', f.scanner);
  const rows: Array<{ hosts: unknown }> = await q;
  return rows.length <= 1 ? num(rows[0]?.hosts ?? 0) : null;
}

/** Open ports now with their service, in the scope, optionally of one port or of some addresses (ip_keys); ordered by address. */
export async function openPortsWithService(knex: Knex, f: Scope & { proto?: Proto; port?: number; keys?: string[] }): Promise<OpenPortRow[]> {
  const q = scoped(knex('port_now as p').join('scanners as s', 's.id', 'p.scanner_id')
    .leftJoin('host_state as h', (j) => j.on('h.scanner_id', 'p.scanner_id').andOn('h.ip_key', 'p.ip_key'))
    .leftJoin('port_facts as f', (j) => j.on('f.scanner_id', 'p.scanner_id').andOn('f.ip_key', 'p.ip_key').andOn('f.proto', 'p.proto').andOn('f.port', 'p.port'))
    .where('p.reported', 'open'), 'p', f)
    .select('s.name as scanner', 'p.ip', 'p.proto', 'p.port', 'p.service', 'h.hostname', 'p.first_seen', 'p.last_seen', 'f.service as fingerprint', 'f.cert')
    .orderBy([{ column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }, { column: 's.name' }]);
  if (f.proto) q.where('p.proto', f.proto);
  if (f.port !== undefined) q.where('p.port', f.port);
  if (f.keys) q.whereIn('p.ip_key', f.keys);
  return (await q).map((r: Record<string, unknown>) => ({
    scanner: r.scanner as string, ip: r.ip as string, proto: r.proto as Proto, port: num(r.port), service: (r.service as string) ?? null,
    hostname: (r.hostname as string) ?? null, first_seen: iso(r.first_seen as number)!, last_seen: iso(r.last_seen as number)!,
    fingerprint: parseService(r.fingerprint), cert: parseCert(r.cert),
  }));
}

export interface RecentScan {
  id: number;
  scanner: string;
  file: string;
  format: string;
  time: string | null;
  status: string;
  complete: boolean;
  hosts_up: number;
  ports_open: number;
  changes: number;
}

/** The newest scans ingested (any status), newest first; of one scanner when given. */
export async function recentScans(knex: Knex, limit: number, offset = 0, scanner?: string): Promise<RecentScan[]> {
  const q = knex('scans as sc').join('scanners as s', 's.id', 'sc.scanner_id')
    .select('sc.id', 's.name as scanner', 'sc.source', 'sc.format', knex.raw('COALESCE(sc.finished_at, sc.started_at) AS at'), 'sc.status', 'sc.complete', 'sc.hosts_up', 'sc.ports_open', 'sc.change_count')
    .orderBy('sc.id', 'desc').limit(limit).offset(offset);
  if (scanner) q.where('s.name', scanner);
  const rows = await q;
  return rows.map((r: Record<string, unknown>) => ({
    id: num(r.id), scanner: r.scanner as string, file: r.source as string, format: r.format as string, time: iso(r.at == null ? null : num(r.at)),
    status: r.status as string, complete: !!num(r.complete), hosts_up: num(r.hosts_up), ports_open: num(r.ports_open), changes: num(r.change_count),
  }));
}

/** The newest files that failed to ingest, newest first; of one scanner when given. */
export async function recentFailures(knex: Knex, limit: number, scanner?: string): Promise<Array<{ scanner: string; file: string; reason: string; time: string }>> {
  const q = knex('scan_failures').select('scanner', 'source', 'reason', 'failed_at').orderBy('id', 'desc').limit(limit);
  if (scanner) q.where('scanner', scanner);
  const rows = await q;
  return rows.map((r: Record<string, unknown>) => ({ scanner: r.scanner as string, file: r.source as string, reason: r.reason as string, time: iso(num(r.failed_at))! }));
}

/** Per address in the scope: how many distinct ports are open now (any scanner), and whether a scanner has it up. */
export async function hostsInRange(knex: Knex, f: Scope): Promise<Array<{ ip: string; open_ports: number }>> {
  const distinct = scoped(knex('port_state as p').join('scanners as s', 's.id', 'p.scanner_id').where('p.reported', 'open'), 'p', f)
    .distinct('p.ip_key', 'p.ip', 'p.proto', 'p.port').as('d');
  const ports = await knex.from(distinct).groupBy('d.ip_key', 'd.ip').select('d.ip', knex.raw('COUNT(*) AS n'));
  const up = await scoped(knex('host_state as h').join('scanners as s', 's.id', 'h.scanner_id').where('h.status', 'up'), 'h', f).distinct('h.ip');
  const out = new Map<string, number>(up.map((r: { ip: string }) => [r.ip, 0]));
  for (const r of ports as Array<Record<string, unknown>>) out.set(r.ip as string, num(r.n));
  return [...out].map(([ip, open_ports]) => ({ ip, open_ports }));
}

type Block = { block: string; hosts: number; open: number };

/** Whether every range of the scope is whole /24s of IPv4 (the kept per-/24 counts then answer it). */
const wholeBlocks = (f: Scope): boolean =>
  !!f.networks?.length && f.networks.every((r) => r.lo.startsWith(V4_PREFIX) && r.hi.startsWith(V4_PREFIX) && r.lo.endsWith('00') && r.hi.endsWith('ff'));

/**
 * Per /24 in the scope (a map of a /16): its known hosts (up, or with a port open) and its distinct
 * open ports. One scanner's, on whole /24s, from the counts kept at ingest (migration 010);
 * otherwise counted by the database from the state, a port two scanners see once.
 */
export async function blocksInRange(knex: Knex, f: Scope): Promise<Block[]> {
  const scanners = f.scanner !== undefined ? 1 : num((await knex('scanners').count({ n: '*' }).first())?.n);
  if (scanners <= 1 && wholeBlocks(f)) return keptBlocks(knex, f);
  const open = () => scoped(knex('port_state as p').join('scanners as s', 's.id', 'p.scanner_id').where('p.reported', 'open'), 'p', f);
  const up = scoped(knex('host_state as h').join('scanners as s', 's.id', 'h.scanner_id').where('h.status', 'up'), 'h', f).select('h.ip_key');
  const distinct = scanners <= 1 ? open().select('p.ip_key') : open().distinct('p.ip_key', 'p.proto', 'p.port');
  const [ports, hosts] = await Promise.all([
    knex.from(distinct.as('d')).groupByRaw(block24('d.ip_key')).select(knex.raw(`${block24('d.ip_key')} AS block`), knex.raw('COUNT(*) AS n')),
    knex.from(up.union(open().select('p.ip_key')).as('k')).groupByRaw(block24('k.ip_key')).select(knex.raw(`${block24('k.ip_key')} AS block`), knex.raw('COUNT(*) AS n')),
  ]);
  const out = new Map<string, Block>();
  for (const r of hosts as Array<Record<string, unknown>>) out.set(r.block as string, { block: r.block as string, hosts: num(r.n), open: 0 });
  for (const r of ports as Array<Record<string, unknown>>) out.get(r.block as string)!.open = num(r.n);
  return [...out.values()];
}

/** A scanner's open ports imply its host is up (they close with it), so its hosts up are its known hosts. */
async function keptBlocks(knex: Knex, f: Scope): Promise<Block[]> {
  const q = knex('block_counts as b').join('scanners as s', 's.id', 'b.scanner_id').where('b.hosts', '>', 0)
    .select('b.block', 'b.hosts', 'b.ports');
  whereNetworks(q, 'b.block', f.networks!.map((r) => ({ lo: r.lo.slice(0, 30), hi: r.hi.slice(0, 30) })));
  if (f.scanner) q.where('s.name', f.scanner);
  return (await q).map((r: Record<string, unknown>) => ({ block: r.block as string, hosts: num(r.hosts), open: num(r.ports) }));
}

/** Changes per UTC day and stored type mask inside the scope (scanner events have no address: a network scope leaves them out). */
export async function changesPerDay(knex: Knex, f: Scope): Promise<Array<{ day: number; type: number; n: number }>> {
  if (everywhere(f)) {
    const c = knex('change_day_counts as c');
    if (f.scanner) c.join('scanners as s', 's.id', 'c.scanner_id').where('s.name', f.scanner);
    const counted = await c.groupBy('c.day', 'c.type').select('c.day', 'c.type', knex.raw('SUM(c.n) AS n')).orderBy('c.day');
    return counted.map((r: Record<string, unknown>) => ({ day: num(r.day), type: num(r.type), n: num(r.n) }));
  }
  const q = knex('changes as c').join('scanners as s', 's.id', 'c.scanner_id');
  scoped(q, 'c', f);
  const rows = await q.groupByRaw('c.detected_at / 86400000, c.type')
    .select(knex.raw('c.detected_at / 86400000 AS day'), 'c.type', knex.raw('COUNT(*) AS n'))
    .orderByRaw('1');
  return rows.map((r: Record<string, unknown>) => ({ day: Math.floor(num(r.day)), type: num(r.type), n: num(r.n) }));
}
