// The SQL behind `serve`'s /healthz and /metrics: one trivial query, and a few grouped counts read at
// scrape time. Each count is one GROUP BY over a table; scans, scan_failures and scanners hold a row
// per scan file or scanner (small). changes and deliveries grow with the changes: their counts read
// the table (SQLite) or an index (PostgreSQL when the visibility map allows) once per scrape.
import type { Knex } from 'knex';

/** Answers when the store answers: one row of a portdelta table (proves the schema is there), no scan. */
export async function pingStore(knex: Knex): Promise<void> {
  await knex('scanners').first('id');
}

interface ScanCounts {
  scanner: string;
  applied: number;
  /** The newest applied scan's own time (finished, else started), epoch ms; null if none has a time. */
  lastAppliedAt: number | null;
}

export interface MetricCounts {
  scans: ScanCounts[];
  /** Files that failed to ingest, by the scanner (inbox folder) they were for. */
  failures: Array<{ scanner: string; n: number }>;
  /** Change rows by scanner and type mask (a mask may hold more than one type). */
  changes: Array<{ scanner: string; type: number; n: number }>;
  /** Delivery rows by output agent and status; `expired` counts claims whose lease ran out before `nowMs`. */
  deliveries: Array<{ agent: string; status: string; n: number; expired: number }>;
}

const num = (v: unknown): number => Number(v ?? 0);

async function scanCounts(knex: Knex): Promise<ScanCounts[]> {
  const rows = await knex('scans as sc')
    .join('scanners as s', 's.id', 'sc.scanner_id')
    .where('sc.status', 'applied')
    .groupBy('s.name')
    .select('s.name as scanner', knex.raw('COUNT(*) AS n'), knex.raw('MAX(COALESCE(sc.finished_at, sc.started_at)) AS last_at'))
    .orderBy('s.name');
  return rows.map((r: Record<string, unknown>) => ({ scanner: r.scanner as string, applied: num(r.n), lastAppliedAt: r.last_at == null ? null : num(r.last_at) }));
}

async function failureCounts(knex: Knex): Promise<MetricCounts['failures']> {
  const rows = await knex('scan_failures').groupBy('scanner').select('scanner', knex.raw('COUNT(*) AS n')).orderBy('scanner');
  return rows.map((r: Record<string, unknown>) => ({ scanner: r.scanner as string, n: num(r.n) }));
}

async function changeCounts(knex: Knex): Promise<MetricCounts['changes']> {
  // Grouped by id first, joined to the names after: the join touches one row per group, not per change.
  const byId = knex('changes').groupBy('scanner_id', 'type').select('scanner_id', 'type', knex.raw('COUNT(*) AS n')).as('g');
  const rows = await knex.from(byId).join('scanners as s', 's.id', 'g.scanner_id').select('s.name as scanner', 'g.type', 'g.n').orderBy(['s.name', 'g.type']);
  return rows.map((r: Record<string, unknown>) => ({ scanner: r.scanner as string, type: num(r.type), n: num(r.n) }));
}

async function deliveryCounts(knex: Knex, nowMs: number): Promise<MetricCounts['deliveries']> {
  const rows = await knex('deliveries')
    .groupBy('agent', 'status')
    .select('agent', 'status', knex.raw('COUNT(*) AS n'), knex.raw("SUM(CASE WHEN status = 'claimed' AND lease_until < ? THEN 1 ELSE 0 END) AS expired", [nowMs]))
    .orderBy(['agent', 'status']);
  return rows.map((r: Record<string, unknown>) => ({ agent: r.agent as string, status: r.status as string, n: num(r.n), expired: num(r.expired) }));
}

/** Everything /metrics shows, read in one go. */
export async function metricCounts(knex: Knex, nowMs: number): Promise<MetricCounts> {
  return {
    scans: await scanCounts(knex),
    failures: await failureCounts(knex),
    changes: await changeCounts(knex),
    deliveries: await deliveryCounts(knex, nowMs),
  };
}
