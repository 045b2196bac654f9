// An output agent's filters as SQL: the changes it takes, one indexed query.
import type { Knex } from 'knex';
import type { ListedGroups } from '../common/scanner-groups';
import type { IpRange, PortScope, Proto } from '../common/types';
import { PROTOS } from '../common/types';
import { whereNetworks } from './query-repo';

/** What an agent takes; all given parts must match. ports/protos only ever match port events. */
export interface DeliveryFilter {
  typeMask?: number;
  networks?: IpRange[];
  scanners?: string[];
  scannerGroups?: string[];
  /** The current config's group of each scanner it lists: for scannerGroups, it wins over the stored group. */
  listedGroups?: ListedGroups;
  ports?: PortScope;
  protos?: Proto[];
  /** `since`: only changes detected at or after this (epoch ms). */
  detectedFrom?: number;
  /** true: only baseline changes; false: none of them; absent: both. */
  baseline?: boolean;
}

/** common/scanner-groups.ts groupOf in SQL: a listed scanner by the config's group, any other by its stored one. */
function whereScannerGroups(q: Knex.QueryBuilder, groups: string[], listed: ListedGroups): void {
  const names = Object.keys(listed);
  const inGroups = names.filter((n) => listed[n] !== null && groups.includes(listed[n]!));
  q.where((w) => { w.whereIn('s.name', inGroups).orWhere((o) => { o.whereNotIn('s.name', names).whereIn('s.group_name', groups); }); });
}

function applyFilter(q: Knex.QueryBuilder, f: DeliveryFilter): void {
  if (f.typeMask !== undefined) q.whereRaw('(c.type & ?) <> 0', [f.typeMask]);
  whereNetworks(q, 'c.ip_key', f.networks);
  if (f.scanners) q.whereIn('s.name', f.scanners);
  if (f.scannerGroups) whereScannerGroups(q, f.scannerGroups, f.listedGroups ?? {});
  if (f.protos) q.whereIn('c.proto', f.protos);
  if (f.detectedFrom !== undefined) q.where('c.detected_at', '>=', f.detectedFrom);
  if (f.baseline !== undefined) q.where('c.baseline', f.baseline ? 1 : 0);
  const ports = f.ports;
  if (ports) {
    q.whereNotNull('c.port').where((w) => {
      for (const proto of PROTOS.filter((p) => ports[p]?.length)) {
        w.orWhere((pw) => {
          pw.where('c.proto', proto).where((rw) => {
            for (const r of ports[proto]!) rw.orWhereBetween('c.port', [r.lo, r.hi]);
          });
        });
      }
    });
  }
}

/** Changes the filter matches that this agent has no delivery row for (or, withExpired, only an expired claim). */
export function pending(knex: Knex, agent: string, f: DeliveryFilter, expiredBeforeMs?: number): Knex.QueryBuilder {
  const q = knex('changes as c')
    .join('scanners as s', 's.id', 'c.scanner_id')
    .whereNotExists((sub) => {
      sub.select(knex.raw('1')).from('deliveries as d').where('d.agent', agent).whereRaw('d.change_id = c.id');
      if (expiredBeforeMs !== undefined) sub.whereNot((w) => { w.where('d.status', 'claimed').where('d.lease_until', '<', expiredBeforeMs); });
    });
  applyFilter(q, f);
  return q;
}
