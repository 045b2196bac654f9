// Scanner-group disagreements (DESIGN §3): per group, each (ip, proto, port) that some members
// report open while others, having it in scope of a complete scan, do not. One set-based statement
// per group; the work grows with the ports the members do not agree on, not with every open port.
import type { Knex } from 'knex';
import type { Disagreement, DisagreementView, IpRange, Proto } from '../common/types';
import { keyToIp } from '../common/ip';
import { groupOf, type ListedGroups } from '../common/scanner-groups';
import { rowsOf } from './rows';

export interface DisagreementFilter {
  /** Only this group. */
  group?: string;
  /** Only addresses in these ranges. */
  networks?: IpRange[];
  /** The scanners the current config lists with their groups: they decide membership (common/scanner-groups.ts). */
  listed?: ListedGroups;
}

export interface GroupMember {
  id: number;
  name: string;
}

/** Every group with its members (sorted by name), as the config and the stored groups say. */
export async function scannerGroups(knex: Knex, listed: ListedGroups = {}): Promise<Map<string, GroupMember[]>> {
  const rows: Array<{ id: number; name: string; group_name: string | null }> = await knex('scanners').select('id', 'name', 'group_name').orderBy('name');
  const groups = new Map<string, GroupMember[]>();
  for (const r of rows) {
    const g = groupOf(r.name, r.group_name, listed);
    if (g === null) continue;
    groups.set(g, [...(groups.get(g) ?? []), { id: Number(r.id), name: r.name }]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The scan that says a port is not open: the scanner's newest applied complete scan whose host
 * scope holds the address and whose port scope holds the port (the one that would have closed it).
 * One home for the rule: group and dual-stack disagreements both ask it.
 */
export const coveringScan = (scanner: string, ipKey: string, proto: string, port: string): string => `
  (SELECT s.id FROM scans s
    WHERE s.scanner_id = ${scanner} AND s.status = 'applied' AND s.started_at IS NOT NULL AND s.complete = 1
      AND EXISTS (SELECT 1 FROM scan_host_scope hs WHERE hs.scan_id = s.id AND ${ipKey} BETWEEN hs.lo AND hs.hi)
      AND EXISTS (SELECT 1 FROM scan_port_scope ps WHERE ps.scan_id = s.id AND ps.proto = ${proto} AND ${port} BETWEEN ps.lo AND ps.hi)
    ORDER BY s.started_at DESC, s.id DESC LIMIT 1)`;

/**
 * "Not open" needs evidence: the member's newest applied complete scan whose host scope holds the
 * address and whose port scope holds the port (the scan that would have closed it), and no
 * "answers on every port" flag on the host. Ports every member reports open drop out in one
 * aggregate pass; only the (port, member) pairs left are looked at, so the lookups follow the
 * disagreements, not every open port.
 * MATERIALIZED keeps that order (PostgreSQL would otherwise run the scan look-up for every pair,
 * and twice). The look-up reads the member's scans through the (scanner_id, status, started_at)
 * index; SQLite stops at the newest that covers the port, PostgreSQL checks each complete scan of
 * the member for these pairs only (100k open ports, 5k disagreements, 30 scans: under 2 s).
 * "Open" is the reported state (after open_after/close_after), with the scan that last listed it.
 */
function statement(members: string, net: (col: string) => string): string {
  return `
    WITH judged AS MATERIALIZED (
      SELECT m.id AS scanner_id, c.ip_key, c.proto, c.port,
             ${coveringScan('m.id', 'c.ip_key', 'c.proto', 'c.port')} AS scan_id
        FROM (SELECT p.ip_key, p.proto, p.port FROM port_state p
               WHERE p.scanner_id IN (${members}) AND p.reported = 'open' ${net('p.ip_key')}
               GROUP BY p.ip_key, p.proto, p.port HAVING COUNT(*) < :count) c
        CROSS JOIN scanners m
       WHERE m.id IN (${members})
         AND NOT EXISTS (SELECT 1 FROM port_state x WHERE x.scanner_id = m.id AND x.ip_key = c.ip_key AND x.proto = c.proto AND x.port = c.port AND x.reported = 'open')
         AND NOT EXISTS (SELECT 1 FROM host_state y WHERE y.scanner_id = m.id AND y.ip_key = c.ip_key AND y.all_ports = 1)
    ), against AS MATERIALIZED (
      SELECT scanner_id, ip_key, proto, port, scan_id FROM judged WHERE scan_id IS NOT NULL
    ), views AS (
      SELECT scanner_id, ip_key, proto, port, 0 AS is_open, scan_id FROM against
      UNION ALL
      SELECT p.scanner_id, p.ip_key, p.proto, p.port, 1, p.last_scan_id
        FROM (SELECT DISTINCT ip_key, proto, port FROM against) k
        JOIN port_now p ON p.ip_key = k.ip_key AND p.proto = k.proto AND p.port = k.port
       WHERE p.scanner_id IN (${members}) AND p.reported = 'open'
    )
    SELECT v.ip_key, v.proto, v.port, v.is_open, v.scan_id, sc.name AS scanner, s.started_at, h.hostname
      FROM views v
      JOIN scanners sc ON sc.id = v.scanner_id
      LEFT JOIN scans s ON s.id = v.scan_id
      LEFT JOIN host_state h ON h.scanner_id = v.scanner_id AND h.ip_key = v.ip_key
     ORDER BY v.ip_key, v.proto, v.port, sc.name`;
}

interface Row {
  ip_key: string;
  proto: Proto;
  port: number;
  is_open: number;
  scan_id: number;
  scanner: string;
  started_at: number | null;
  hostname: string | null;
}

/** Rows of one (ip, proto, port) follow each other (ORDER BY); each run becomes one Disagreement. */
function assemble(group: string, rows: Row[]): Disagreement[] {
  const out: Disagreement[] = [];
  let cur: Disagreement | null = null;
  let curKey = '';
  let openName: string | null = null;
  for (const r of rows) {
    const port = Number(r.port);
    const key = `${r.ip_key}|${r.proto}|${port}`;
    if (!cur || key !== curKey) {
      cur = { group, ip: keyToIp(r.ip_key), proto: r.proto, port, hostname: null, views: [] };
      curKey = key;
      openName = null;
      out.push(cur);
    }
    const open = Number(r.is_open) === 1;
    // The name a member that sees the service knows comes first; else any member's.
    if (open && openName === null && r.hostname) cur.hostname = openName = r.hostname;
    else if (cur.hostname === null && r.hostname) cur.hostname = r.hostname;
    const view: DisagreementView = {
      scanner: r.scanner,
      view: open ? 'open' : 'not open',
      scan_id: Number(r.scan_id),
      scan_time: r.started_at == null ? null : new Date(Number(r.started_at)).toISOString(),
    };
    cur.views.push(view);
  }
  return out;
}

/** Disagreements of every group (or one), ordered by group, address, protocol and port. */
export async function listDisagreements(knex: Knex, f: DisagreementFilter = {}): Promise<Disagreement[]> {
  const groups = await scannerGroups(knex, f.listed);
  const out: Disagreement[] = [];
  for (const [group, members] of groups) {
    if (f.group !== undefined && group !== f.group) continue;
    if (members.length < 2) continue; // one member cannot disagree with itself
    const bindings: Record<string, unknown> = { count: members.length };
    const memberList = members.map((m, i) => ((bindings[`m${i}`] = m.id), `:m${i}`)).join(', ');
    (f.networks ?? []).forEach((r, i) => Object.assign(bindings, { [`lo${i}`]: r.lo, [`hi${i}`]: r.hi }));
    const net = (col: string) =>
      f.networks?.length ? `AND (${f.networks.map((_, i) => `${col} BETWEEN :lo${i} AND :hi${i}`).join(' OR ')})` : '';
    out.push(...assemble(group, rowsOf<Row>(await knex.raw(statement(memberList, net), bindings))));
  }
  return out;
}
