// A run's claimed baseline changes, counted per scanner: the summary an output agent delivers in
// place of a scanner's first scan (DESIGN §3). Counted in SQL, so a /16's 80,000 changes are not
// loaded; only their ids are, to record them delivered with the summary.
import type { Knex } from 'knex';
import { ChangeType } from '../common/types';
import { chunks, writing, type Store } from './delivery-marks';
import { iso } from './query-repo';

export interface BaselineCount {
  scanner: string;
  scan_id: number;
  /** Baseline changes of this scanner in the run. */
  changes: number;
  /** Host events with new_host: the hosts the first scan found up. */
  hosts_up: number;
  /** Port events with new_port: the ports it found open. */
  open_ports: number;
  detected_at: string;
  change_ids: number[];
}

const claimedBaseline = (knex: Knex, token: string) =>
  knex('deliveries as d')
    .join('changes as c', 'c.id', 'd.change_id')
    .join('scanners as s', 's.id', 'c.scanner_id')
    .where({ 'd.claim_token': token, 'd.status': 'claimed', 'c.baseline': 1 });

export async function baselineCounts(knex: Knex, token: string): Promise<BaselineCount[]> {
  const rows = await claimedBaseline(knex, token)
    .groupBy('s.name')
    .orderBy('s.name')
    .select(
      's.name as scanner',
      knex.raw('MIN(c.scan_id) AS scan_id'),
      knex.raw('MIN(c.detected_at) AS detected_at'),
      knex.raw('COUNT(*) AS n'),
      knex.raw('SUM(CASE WHEN c.port IS NULL AND (c.type & ?) <> 0 THEN 1 ELSE 0 END) AS hosts_up', [ChangeType.new_host]),
      knex.raw('SUM(CASE WHEN c.port IS NOT NULL AND (c.type & ?) <> 0 THEN 1 ELSE 0 END) AS open_ports', [ChangeType.new_port]),
    );
  const ids = new Map<string, number[]>();
  for (const r of await claimedBaseline(knex, token).select('s.name as scanner', 'c.id').orderBy('c.id')) {
    const list = ids.get(r.scanner) ?? [];
    if (!ids.has(r.scanner)) ids.set(r.scanner, list);
    list.push(Number(r.id));
  }
  return rows.map((r: Record<string, unknown>) => ({
    scanner: r.scanner as string,
    scan_id: Number(r.scan_id),
    changes: Number(r.n),
    hosts_up: Number(r.hosts_up),
    open_ports: Number(r.open_ports),
    detected_at: iso(Number(r.detected_at))!,
    change_ids: ids.get(r.scanner as string) ?? [],
  }));
}

/** Marks the changes a report counted but did not list, so `changes --report RUN --unlisted` shows them. */
export function markUnlisted(db: Store, token: string, ids: number[]): Promise<void> {
  return writing(db, async (trx) => {
    for (const part of chunks(ids)) await trx('deliveries').where({ claim_token: token }).whereIn('change_id', part).update({ unlisted: 1 });
  });
}
