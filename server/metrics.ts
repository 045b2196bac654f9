// GET /metrics: Prometheus text format from prom-client, one registry per server (never the global
// default, so two servers in one process never mix). The values are counts in the database, read at
// scrape time (db/metrics-repo.ts): nothing is counted in memory, so every `serve` and every restart
// shows the same numbers. Counts fall when `portdelta cleanup` deletes rows; Prometheus reads a
// counter that falls as a reset.
import { Counter, Gauge, Registry } from 'prom-client';
import { CHANGE_TYPE_NAMES, ChangeType } from '../common/types';
import { metricCounts, type MetricCounts } from '../db/metrics-repo';
import type { Db } from '../db/connection';

export interface Scraper {
  readonly contentType: string;
  /** The exposition text, read from the database now. */
  scrape(db: Db): Promise<string>;
}

function defineMetrics(registers: Registry[]) {
  return {
    applied: new Counter({ name: 'portdelta_scans_applied_total', help: 'Scan files applied to the state, per scanner.', labelNames: ['scanner'], registers }),
    failed: new Counter({ name: 'portdelta_scans_failed_total', help: 'Scan files that failed to ingest (portdelta scanners shows them), per scanner.', labelNames: ['scanner'], registers }),
    last: new Gauge({ name: 'portdelta_last_applied_scan_timestamp_seconds', help: "The newest applied scan's own time (finished, else started), per scanner.", labelNames: ['scanner'], registers }),
    changes: new Counter({ name: 'portdelta_changes_total', help: 'Changes recorded, per scanner and change type (scanner events included).', labelNames: ['scanner', 'type'], registers }),
    deliveries: new Counter({ name: 'portdelta_deliveries_total', help: 'Changes taken by an output agent, per agent and status (delivered, suppressed, claimed).', labelNames: ['agent', 'status'], registers }),
    expired: new Gauge({ name: 'portdelta_delivery_claims_expired', help: "Claims whose lease ran out without being recorded as sent (a run that died or could not finish), per agent; the agent's next run takes them over.", labelNames: ['agent'], registers }),
  };
}

type Metrics = ReturnType<typeof defineMetrics>;

function fill(m: Metrics, c: MetricCounts): void {
  for (const metric of Object.values(m)) metric.reset();
  for (const s of c.scans) {
    m.applied.inc({ scanner: s.scanner }, s.applied);
    if (s.lastAppliedAt !== null) m.last.set({ scanner: s.scanner }, s.lastAppliedAt / 1000);
  }
  for (const f of c.failures) m.failed.inc({ scanner: f.scanner }, f.n);
  // A stored type is a mask: each of its types counts the row once.
  for (const ch of c.changes) {
    for (const type of CHANGE_TYPE_NAMES) if ((ch.type & ChangeType[type]) !== 0) m.changes.inc({ scanner: ch.scanner, type }, ch.n);
  }
  for (const d of c.deliveries) {
    m.deliveries.inc({ agent: d.agent, status: d.status }, d.n);
    m.expired.inc({ agent: d.agent }, d.expired); // 0 for rows that are not claims: every agent gets a sample
  }
}

export function makeScraper(now: () => number = Date.now): Scraper {
  const registry = new Registry();
  const metrics = defineMetrics([registry]);
  // Scrapes run one at a time: each resets and refills the same metrics before they are written out.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    scrape(db: Db) {
      const run = queue.then(async () => {
        fill(metrics, await metricCounts(db.knex, now()));
        return registry.metrics();
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
