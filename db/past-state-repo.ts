// `state --at T` and `hosts --at T`: what a scanner reported at a past moment. Worked back from
// the stored state and the changes made after T, not forward from the first change: the state
// rows are what `state` shows now, and each key's first reporting change after T says what it
// was before (a port_closed means it was open; a new_port or port_reopened, that it was not). So
// `cleanup --older-than` (which deletes old changes) does not spoil answers for times after its
// cutoff, and thresholds need no replay: only the changes they let through moved the state.
// Limits (docs/cli.md): a key whose state was cleaned up is gone from every past too; last_seen
// is the latest applied scan up to T that covered the key; mac is today's.
import type { Knex } from 'knex';
import type { IpRange } from '../common/types';
import { ChangeType } from '../common/types';
import { iso, toStateRow, whereNetworks, type HostRow, type StateRow } from './query-repo';

interface Filter {
  scanner?: string;
  networks?: IpRange[];
}

const PORT_MOVES = ChangeType.new_port | ChangeType.port_reopened | ChangeType.port_closed;
const HOST_MOVES = ChangeType.new_host | ChangeType.host_down;

/** The first (after T) or last (up to T) change of each key of one kind, as a derived table of ids. */
function changeIds(kind: 'port' | 'host', when: 'after' | 'upto', mask: number | null): string {
  const keys = kind === 'port' ? 'scanner_id, ip_key, proto, port' : 'scanner_id, ip_key';
  const agg = when === 'after' ? 'MIN' : 'MAX';
  const time = when === 'after' ? 'detected_at > :t' : 'detected_at <= :t';
  const port = kind === 'port' ? 'port IS NOT NULL' : "port IS NULL AND ip <> ''";
  const type = mask === null ? '' : `AND (type & ${mask}) <> 0`;
  return `(SELECT ${keys}, ${agg}(id) AS id FROM changes WHERE ${time} AND ${port} ${type} GROUP BY ${keys})`;
}

const sameKey = (a: string, b: string, kind: 'port' | 'host') =>
  `${a}.scanner_id = ${b}.scanner_id AND ${a}.ip_key = ${b}.ip_key${kind === 'port' ? ` AND ${a}.proto = ${b}.proto AND ${a}.port = ${b}.port` : ''}`;

/** The host's name at T: before its first rename after T, else today's. */
const NAME_THEN = `LEFT JOIN ${changeIds('host', 'after', ChangeType.dns_changed)} rn ON ${sameKey('rn', 'h', 'host')}
  LEFT JOIN changes rc ON rc.id = rn.id`;
const nameThen = 'CASE WHEN rc.id IS NULL THEN h.hostname ELSE rc.previous_hostname END';

/** Each reported port's state at T, with what `state` shows of it. */
async function portsThen(knex: Knex, t: number, f: Filter): Promise<Array<Record<string, unknown>>> {
  const q = knex
    .select(knex.raw(`s.name AS scanner, p.ip, p.ip_key, p.proto, p.port, p.first_seen, p.last_seen, ${nameThen} AS hostname,
      CASE WHEN nc.id IS NULL THEN (CASE WHEN p.reported = 'open' THEN 1 ELSE 0 END) WHEN (nc.type & ${ChangeType.port_closed}) <> 0 THEN 1 ELSE 0 END AS open_then,
      lc.type AS last_type, lc.detected_at AS last_at,
      (SELECT MAX(sc.started_at) FROM scans sc JOIN scan_port_scope r ON r.scan_id = sc.id
        WHERE sc.scanner_id = p.scanner_id AND sc.status = 'applied' AND sc.complete = 1 AND sc.started_at <= :t
          AND r.proto = p.proto AND p.port BETWEEN r.lo AND r.hi) AS covered_at`, { t }))
    .from('port_now as p')
    .join('scanners as s', 's.id', 'p.scanner_id')
    .joinRaw(`LEFT JOIN host_state h ON h.scanner_id = p.scanner_id AND h.ip_key = p.ip_key ${NAME_THEN}
      LEFT JOIN ${changeIds('port', 'after', PORT_MOVES)} nx ON ${sameKey('nx', 'p', 'port')} LEFT JOIN changes nc ON nc.id = nx.id
      LEFT JOIN ${changeIds('port', 'upto', null)} lx ON ${sameKey('lx', 'p', 'port')} LEFT JOIN changes lc ON lc.id = lx.id`, { t })
    .whereRaw('p.first_seen <= ?', [t])
    .orderBy([{ column: 's.name' }, { column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }]);
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, 'p.ip_key', f.networks);
  return (await q).filter((r: Record<string, unknown>) => Number(r.open_then) === 1);
}

/**
 * When it was last seen as of T: its own last_seen if that is not later, else the latest scan up to
 * T that covered it. Its last change: the one that scan made, if it made one (as `state` keeps it).
 */
function seenThen(r: Record<string, unknown>, t: number): { last_seen: number; last_change: number } {
  const own = Number(r.last_seen);
  const seen = own <= t ? own : Math.max(Number(r.first_seen), Number(r.covered_at ?? r.first_seen));
  const last = r.last_at != null && Number(r.last_at) === seen ? Number(r.last_type) : 0;
  return { last_seen: seen, last_change: last };
}

/** `state --at T`: the ports each scanner reported open at T. */
export async function listOpenPortsAt(knex: Knex, t: number, f: Filter): Promise<StateRow[]> {
  return (await portsThen(knex, t, f)).map((r) => toStateRow({ ...r, ...seenThen(r, t) }));
}

/** `hosts --at T`: the hosts each scanner knew at T, up or down, with their open ports then. */
export async function listHostsAt(knex: Knex, t: number, f: Filter): Promise<HostRow[]> {
  const q = knex
    .select(knex.raw(`s.name AS scanner, h.ip, h.ip_key, h.status, h.mac, h.first_seen, h.last_seen, ${nameThen} AS hostname,
      CASE WHEN nc.id IS NULL THEN h.status WHEN (nc.type & ${ChangeType.host_down}) <> 0 THEN 'up' ELSE 'down' END AS status_then,
      lc.type AS last_type, lc.detected_at AS last_at,
      (SELECT MAX(sc.started_at) FROM scans sc JOIN scan_host_scope r ON r.scan_id = sc.id
        WHERE sc.scanner_id = h.scanner_id AND sc.status = 'applied' AND sc.complete = 1 AND h.ip_key BETWEEN r.lo AND r.hi
          AND sc.started_at <= (CASE WHEN dc.id IS NULL THEN :t ELSE dc.detected_at - 1 END)) AS covered_at`, { t }))
    .from('host_now as h')
    .join('scanners as s', 's.id', 'h.scanner_id')
    .joinRaw(`${NAME_THEN}
      LEFT JOIN ${changeIds('host', 'after', HOST_MOVES)} nx ON ${sameKey('nx', 'h', 'host')} LEFT JOIN changes nc ON nc.id = nx.id
      LEFT JOIN ${changeIds('host', 'upto', null)} lx ON ${sameKey('lx', 'h', 'host')} LEFT JOIN changes lc ON lc.id = lx.id
      LEFT JOIN ${changeIds('host', 'upto', HOST_MOVES)} dx ON ${sameKey('dx', 'h', 'host')}
      LEFT JOIN changes dc ON dc.id = dx.id AND (dc.type & ${ChangeType.host_down}) <> 0`, { t })
    .whereRaw('h.first_seen <= ?', [t])
    .orderBy([{ column: 's.name' }, { column: 'h.ip_key' }]);
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, 'h.ip_key', f.networks);
  const key = (r: Record<string, unknown>) => `${String(r.scanner)} ${String(r.ip_key)}`;
  const open = new Map<string, number>();
  for (const p of await portsThen(knex, t, f)) open.set(key(p), (open.get(key(p)) ?? 0) + 1);
  return (await q as Array<Record<string, unknown>>).map((r) => {
    const seen = seenThen(r, t);
    return {
      scanner: r.scanner as string,
      ip: r.ip as string,
      status: r.status_then as 'up' | 'down',
      hostname: (r.hostname as string) ?? null,
      mac: (r.mac as string) ?? null,
      open_ports: open.get(key(r)) ?? 0,
      first_seen: iso(r.first_seen as number)!,
      last_seen: iso(seen.last_seen)!,
      // a down host keeps the change that took it down until it is seen again
      last_change: r.status_then === 'down' ? Number(r.last_type ?? 0) : seen.last_change,
    };
  });
}
