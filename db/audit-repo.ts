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

async function* scannerRows(knex: Knex, scannerId: number, networks: IpRange[] | undefined): AsyncGenerator<Row> {
  let after: [string, string, number] = ['', '', -1];
  for (;;) {
    const q = knex('port_state as p')
      .leftJoin('host_state as h', (j) => j.on('h.scanner_id', 'p.scanner_id').andOn('h.ip_key', 'p.ip_key'))
      .where('p.scanner_id', scannerId)
      .where('p.reported', 'open')
      .whereRaw('(p.ip_key, p.proto, p.port) > (?, ?, ?)', after)
      .select('p.ip_key', 'p.ip', 'p.proto', 'p.port', 'h.hostname')
      .orderBy([{ column: 'p.ip_key' }, { column: 'p.proto' }, { column: 'p.port' }])
      .limit(PAGE);
    if (networks?.length) q.where((w) => { for (const r of networks) w.orWhereBetween('p.ip_key', [r.lo, r.hi]); });
    const page: Row[] = await q;
    for (const r of page) yield { ...r, port: Number(r.port), hostname: r.hostname ?? null };
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
