// The read behind `audit`: every port some scanner reports open, one row per (ip, proto, port) with
// the scanners that see it. Each scanner's rows are read in keyset pages along the port_state primary
// key (scanner_id, ip_key, proto, port), so memory stays flat and no page re-sorts the table, and the
// sorted streams of all scanners are merged here.
import type { Knex } from 'knex';
import type { IpRange, Proto } from '../common/types';

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

async function* scannerRows(knex: Knex, scannerId: number, networks: IpRange[] | undefined): AsyncGenerator<Row> {
  let after: [string, string, number] = ['', '', -1];
  for (;;) {
    const q = knex('port_state as p')
      .where('p.scanner_id', scannerId)
      .where('p.reported', 'open')
      .whereRaw('(p.ip_key, p.proto, p.port) > (?, ?, ?)', after)
      .select('p.ip_key', 'p.ip', 'p.proto', 'p.port')
      .orderBy([{ column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }])
      .limit(PAGE);
    if (networks?.length) q.where((w) => { for (const r of networks) w.orWhereBetween('p.ip_key', [r.lo, r.hi]); });
    const page: Array<Omit<Row, 'hostname'>> = await q;
    const names = await hostnames(knex, scannerId, [...new Set(page.map((r) => r.ip_key))]);
    for (const r of page) yield { ...r, port: Number(r.port), hostname: names.get(r.ip_key) ?? null };
    if (page.length < PAGE) return;
    const last = page[page.length - 1];
    after = [last.ip_key, last.proto, Number(last.port)];
  }
}

const order = (a: Row, b: Row): number =>
  a.ip_key < b.ip_key ? -1 : a.ip_key > b.ip_key ? 1 : a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.port - b.port;

/** Open ports in address, protocol, port order. */
export async function* openPortGroups(knex: Knex, f: { scanner?: string; networks?: IpRange[] }): AsyncGenerator<OpenPortGroup> {
  const q = knex('scanners').select('id', 'name').orderBy('name');
  if (f.scanner) q.where('name', f.scanner);
  const scanners: Array<{ id: number; name: string }> = await q;
  const streams = scanners.map((s) => ({ name: s.name, rows: scannerRows(knex, s.id, f.networks), head: null as Row | null }));
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
