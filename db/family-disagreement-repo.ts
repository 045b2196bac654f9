// Dual-stack disagreements (DESIGN §3, `disagreements --family`): one scanner sees a host under an
// IPv4 and an IPv6 address — linked by the same PTR name, or by the configuration's dual_stack
// list — and a port is open on one family and, in scope of its latest complete scan, not open on
// the other: IPv4 and IPv6 firewall rules that disagree. "Not open" is judged as for scanner
// groups (coveringScan), and never on a host that answers on every port.
import type { Knex } from 'knex';
import type { DualStackPair, FamilyDisagreement, FamilyView, IpRange, Proto } from '../common/types';
import { ipKey, rangesContain } from '../common/ip';
import { coveringScan } from './disagreement-repo';
import { iso } from './query-repo';
import { rowsOf } from './rows';

/** IPv4 addresses' keys (::ffff:0:0/96). */
const V4 = { lo: ipKey('0.0.0.0'), hi: ipKey('255.255.255.255') };

/** A PTR name links the two addresses when both were seen up under it within this long of each other: one scan night. */
const NIGHT_MS = 24 * 3600 * 1000;

interface Linked {
  scanner_id: number;
  scanner: string;
  k4: string;
  ip4: string;
  k6: string;
  ip6: string;
  hostname: string | null;
  linked_by: 'ptr' | 'config';
}

const LINK_COLUMNS = 'h4.scanner_id, s.name AS scanner, h4.ip_key AS k4, h4.ip AS ip4, h6.ip_key AS k6, h6.ip AS ip6';

async function ptrLinked(knex: Knex): Promise<Linked[]> {
  const rows = rowsOf<Linked>(await knex.raw(`
    SELECT ${LINK_COLUMNS}, h4.hostname, 'ptr' AS linked_by
      FROM host_now h4
      JOIN host_now h6 ON h6.scanner_id = h4.scanner_id AND LOWER(h6.hostname) = LOWER(h4.hostname)
      JOIN scanners s ON s.id = h4.scanner_id
     WHERE h4.ip_key BETWEEN :lo AND :hi AND NOT (h6.ip_key BETWEEN :lo AND :hi)
       AND h4.hostname IS NOT NULL AND h4.status = 'up' AND h6.status = 'up'
       AND h4.last_seen - h6.last_seen BETWEEN :minus AND :night`, { ...V4, minus: -NIGHT_MS, night: NIGHT_MS }));
  return rows;
}

async function configLinked(knex: Knex, pairs: readonly DualStackPair[]): Promise<Linked[]> {
  const out: Linked[] = [];
  for (const p of pairs) {
    out.push(...rowsOf<Linked>(await knex.raw(`
      SELECT ${LINK_COLUMNS}, COALESCE(h4.hostname, h6.hostname) AS hostname, 'config' AS linked_by
        FROM host_state h4
        JOIN host_state h6 ON h6.scanner_id = h4.scanner_id AND h6.ip_key = :k6
        JOIN scanners s ON s.id = h4.scanner_id
       WHERE h4.ip_key = :k4`, { k4: ipKey(p.ipv4), k6: ipKey(p.ipv6) })));
  }
  return out;
}

interface PortView {
  proto: Proto;
  port: number;
  scan_id: number | null;
  started_at: number | null;
}

/** Each port of `from` open there, judged on `other`: open too, or not open with the scan that says so (null: no evidence). */
async function judged(knex: Knex, l: Linked, from: string, other: string): Promise<Array<{ open: PortView; against: PortView }>> {
  const rows = rowsOf<Record<string, unknown>>(await knex.raw(`
    SELECT j.proto, j.port, j.last_scan_id, o.started_at AS open_at, j.scan_id AS against_id, a.started_at AS against_at
      FROM (SELECT p.proto, p.port, p.last_scan_id, ${coveringScan(':scanner', ':other', 'p.proto', 'p.port')} AS scan_id
              FROM port_now p
             WHERE p.scanner_id = :scanner AND p.ip_key = :from AND p.reported = 'open'
               AND NOT EXISTS (SELECT 1 FROM port_state x WHERE x.scanner_id = :scanner AND x.ip_key = :other AND x.proto = p.proto AND x.port = p.port AND x.reported = 'open')
               AND NOT EXISTS (SELECT 1 FROM host_state y WHERE y.scanner_id = :scanner AND y.ip_key = :other AND y.all_ports = 1)) j
      LEFT JOIN scans o ON o.id = j.last_scan_id
      LEFT JOIN scans a ON a.id = j.scan_id
     WHERE j.scan_id IS NOT NULL
     ORDER BY j.proto, j.port`, { scanner: l.scanner_id, from, other }));
  return rows.map((r) => ({
    open: { proto: r.proto as Proto, port: Number(r.port), scan_id: Number(r.last_scan_id), started_at: r.open_at == null ? null : Number(r.open_at) },
    against: { proto: r.proto as Proto, port: Number(r.port), scan_id: Number(r.against_id), started_at: r.against_at == null ? null : Number(r.against_at) },
  }));
}

const view = (family: FamilyView['family'], ip: string, v: FamilyView['view'], p: PortView): FamilyView => ({
  family, ip, view: v, scan_id: Number(p.scan_id), scan_time: iso(p.started_at),
});

/**
 * Every linked pair's disagreements, ordered by scanner, IPv4 address, protocol and port; with
 * `networks`, the pairs with an address inside (`both`: with both addresses inside); with
 * `scanners`, those scanners' pairs only.
 */
export async function listFamilyDisagreements(knex: Knex, f: { pairs?: readonly DualStackPair[]; networks?: IpRange[]; both?: boolean; scanners?: readonly string[] } = {}): Promise<FamilyDisagreement[]> {
  const seen = new Set<string>();
  const links = [...(await configLinked(knex, f.pairs ?? [])), ...(await ptrLinked(knex))].filter((l) => {
    const key = `${l.scanner_id} ${l.k4} ${l.k6}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (f.scanners && !f.scanners.includes(l.scanner)) return false;
    if (!f.networks?.length) return true;
    return f.both ? rangesContain(f.networks, l.k4) && rangesContain(f.networks, l.k6) : rangesContain(f.networks, l.k4) || rangesContain(f.networks, l.k6);
  });
  const out: Array<FamilyDisagreement & { sort: string }> = [];
  for (const l of links) {
    for (const [from, other, v4open] of [[l.k4, l.k6, true], [l.k6, l.k4, false]] as const) {
      for (const { open, against } of await judged(knex, l, from, other)) {
        const v4 = v4open ? view('ipv4', l.ip4, 'open', open) : view('ipv4', l.ip4, 'not open', against);
        const v6 = v4open ? view('ipv6', l.ip6, 'not open', against) : view('ipv6', l.ip6, 'open', open);
        out.push({ scanner: l.scanner, hostname: l.hostname, linked_by: l.linked_by, proto: open.proto, port: open.port, views: [v4, v6], sort: `${l.scanner} ${l.k4} ${l.k6} ${open.proto} ${String(open.port).padStart(5, '0')}` });
      }
    }
  }
  return out.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0)).map(({ sort: _sort, ...d }) => d);
}
