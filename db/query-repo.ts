// Read queries behind `changes`, `state` and `hosts`. A CIDR filter is one BETWEEN on the sortable key.
import type { Knex } from 'knex';
import type { CertFacts, ChangeFilter, ChangeRow, IpRange, Proto, ServiceFingerprint } from '../common/types';
import { typeNames } from '../common/types';
import { parseCert, parseService } from '../common/service-facts';

export function whereNetworks(q: Knex.QueryBuilder, column: string, networks?: IpRange[]): void {
  if (!networks?.length) return;
  q.where((w) => {
    for (const r of networks) w.orWhereBetween(column, [r.lo, r.hi]);
  });
}

export const iso = (ms: number | null): string | null => (ms == null ? null : new Date(Number(ms)).toISOString());

/** The columns of a change as `changes --json` shows it; `c` = changes, `s` = scanners. */
export const CHANGE_COLUMNS = ['c.id', 's.name as scanner', 's.group_name as group', 'c.ip', 'c.proto', 'c.port', 'c.type', 'c.hostname', 'c.previous_hostname', 'c.returning', 'c.detected_at', 'c.scan_id', 'c.details', 'c.baseline',
  'c.service', 'c.previous_service', 'c.cert', 'c.previous_cert'];

function parseDetails(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string' || v === '') return null;
  return JSON.parse(v) as Record<string, unknown>;
}

export function toChangeRow(r: Record<string, unknown>): ChangeRow {
  return {
    id: Number(r.id),
    scanner: r.scanner as string,
    group: (r.group as string) ?? null,
    ip: (r.ip as string) || null, // scanner events are stored with ip '' (db/migrations/004)
    proto: (r.proto as Proto) ?? null,
    port: r.port == null ? null : Number(r.port),
    type: Number(r.type),
    types: typeNames(Number(r.type)),
    hostname: (r.hostname as string) ?? null,
    previous_hostname: (r.previous_hostname as string) ?? null,
    returning: !!Number(r.returning),
    detected_at: iso(r.detected_at as number)!,
    scan_id: Number(r.scan_id),
    details: parseDetails(r.details),
    baseline: !!Number(r.baseline),
    service: parseService(r.service),
    previous_service: parseService(r.previous_service),
    cert: parseCert(r.cert),
    previous_cert: parseCert(r.previous_cert),
  };
}

export async function listChanges(knex: Knex, f: ChangeFilter): Promise<ChangeRow[]> {
  const q = knex('changes as c')
    .join('scanners as s', 's.id', 'c.scanner_id')
    .select(CHANGE_COLUMNS)
    .orderBy('c.id', f.newestFirst ? 'desc' : 'asc');
  if (f.sinceMs !== undefined) q.where('c.detected_at', '>=', f.sinceMs);
  if (f.untilMs !== undefined) q.where('c.detected_at', '<', f.untilMs);
  if (f.group !== undefined) q.where('s.group_name', f.group);
  if (f.port !== undefined) q.where('c.port', f.port);
  if (f.limit !== undefined) q.limit(f.limit).offset(f.offset ?? 0);
  if (f.afterId !== undefined) q.where('c.id', '>', f.afterId);
  // the scanner's id as a value, not a join condition: PostgreSQL then walks the (scanner_id, id)
  // index in order and stops at the limit (1-2 s on a /12 as a join filter: it sorted every change)
  if (f.scanner) q.where('c.scanner_id', knex('scanners').select('id').where('name', f.scanner));
  if (f.scanId !== undefined) q.where('c.scan_id', f.scanId);
  if (f.typeMask !== undefined) q.whereRaw('(c.type & ?) <> 0', [f.typeMask]);
  whereNetworks(q, 'c.ip_key', f.networks);
  if (f.where) q.whereRaw(f.where.sql, f.where.bindings);
  if (f.report !== undefined) {
    q.whereExists((sub) => {
      sub.select(knex.raw('1')).from('deliveries as d').whereRaw('d.change_id = c.id').where('d.claim_token', f.report!);
      if (f.unlisted) sub.where('d.unlisted', 1);
    });
  }
  return (await q).map(toChangeRow);
}

export interface StateRow {
  scanner: string;
  ip: string;
  proto: Proto;
  port: number;
  hostname: string | null;
  first_seen: string;
  last_seen: string;
  last_change: number;
  /** The last probed service fingerprint and the last certificate seen (nmap -sV, ssl-cert); null when none. */
  service: ServiceFingerprint | null;
  cert: CertFacts | null;
}

export async function listOpenPorts(knex: Knex, f: { scanner?: string; networks?: IpRange[] }): Promise<StateRow[]> {
  const q = knex('port_now as p')
    .join('scanners as s', 's.id', 'p.scanner_id')
    .leftJoin('host_state as h', (j) => j.on('h.scanner_id', 'p.scanner_id').andOn('h.ip_key', 'p.ip_key'))
    .leftJoin('port_facts as f', (j) => j.on('f.scanner_id', 'p.scanner_id').andOn('f.ip_key', 'p.ip_key').andOn('f.proto', 'p.proto').andOn('f.port', 'p.port'))
    .where('p.reported', 'open')
    .select('s.name as scanner', 'p.ip', 'p.proto', 'p.port', 'h.hostname', 'p.first_seen', 'p.last_seen', 'p.last_change', 'f.service', 'f.cert')
    .orderBy([{ column: 's.name' }, { column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }]);
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, 'p.ip_key', f.networks);
  return (await q).map(toStateRow);
}

/** A port_now row (with its scanner's name and host's name) as `state --json` shows it. */
export function toStateRow(r: Record<string, unknown>): StateRow {
  return {
    scanner: r.scanner as string,
    ip: r.ip as string,
    proto: r.proto as Proto,
    port: Number(r.port),
    hostname: (r.hostname as string) ?? null,
    first_seen: iso(r.first_seen as number)!,
    last_seen: iso(r.last_seen as number)!,
    last_change: Number(r.last_change),
    service: parseService(r.service),
    cert: parseCert(r.cert),
  };
}

export interface HostRow {
  scanner: string;
  ip: string;
  status: 'up' | 'down';
  hostname: string | null;
  mac: string | null;
  open_ports: number;
  first_seen: string;
  last_seen: string;
  last_change: number;
}

export async function listHosts(knex: Knex, f: { scanner?: string; networks?: IpRange[] }): Promise<HostRow[]> {
  const open = knex('port_state as p')
    .whereRaw('p.scanner_id = h.scanner_id')
    .andWhereRaw('p.ip_key = h.ip_key')
    .andWhere('p.reported', 'open')
    .count('*');
  const q = knex('host_now as h')
    .join('scanners as s', 's.id', 'h.scanner_id')
    .select('s.name as scanner', 'h.ip', 'h.status', 'h.hostname', 'h.mac', 'h.first_seen', 'h.last_seen', 'h.last_change', open.as('open_ports'))
    .orderBy([{ column: 's.name' }, { column: 'h.ip_key' }]);
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, 'h.ip_key', f.networks);
  const rows = await q;
  return rows.map((r: Record<string, unknown>) => ({
    scanner: r.scanner as string,
    ip: r.ip as string,
    status: r.status as 'up' | 'down',
    hostname: (r.hostname as string) ?? null,
    mac: (r.mac as string) ?? null,
    open_ports: Number(r.open_ports),
    first_seen: iso(r.first_seen as number)!,
    last_seen: iso(r.last_seen as number)!,
    last_change: Number(r.last_change),
  }));
}
