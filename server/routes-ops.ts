// The operations endpoints: GET /healthz (no token; for load balancers and systemd-style probes)
// and GET /metrics (Prometheus). Neither says where the database is: a health answer is seen by
// anyone who can reach the port.
import { databaseFault, databaseReason } from '../db/db-errors';
import { pingStore } from '../db/metrics-repo';
import { HttpError } from './http-error';
import type { Access } from './auth';
import type { ServerContext } from './context';
import type { Scraper } from './metrics';
import type { Answer } from './routes-scans';

/** How long /healthz waits for the database before it answers 503 (a pool waiting for a dead server would wait a minute). */
const HEALTH_WAIT_MS = 5_000;

/** The database's reason without anything that says where it is or who connects. */
function publicReason(err: unknown, where: string): string {
  return databaseReason(err)
    .split(where).join('…')
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '…')
    .replace(/\[?[0-9a-f:.]+\]?:\d{2,5}\b/gi, '…')
    .replace(/\b(user|role|database)\s+"[^"]*"/gi, '$1 …')
    .slice(0, 200);
}

class NoAnswer extends Error {}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function getHealth(ctx: ServerContext, waitMs = HEALTH_WAIT_MS): Promise<Answer> {
  try {
    await within(pingStore(ctx.db.knex), waitMs);
    return { status: 200, body: { status: 'ok', database: 'ok' } };
  } catch (err) {
    const fault = err instanceof NoAnswer ? 'unreachable' : (databaseFault(err) ?? 'error');
    return { status: 503, body: { status: 'unavailable', database: fault, reason: publicReason(err, ctx.db.where) } };
  }
}

/**
 * Who may scrape: anyone when `server.metrics_public` is set; else a read token for every network.
 * The counts are of every scanner and network, so a token bound to networks or to a scanner is refused.
 */
export function checkMetricsAccess(access: Access): void {
  if (access.kind === 'upload') {
    throw new HttpError(403, `this token is an upload token (scanner '${access.scanner}'): /metrics counts every scanner`, 'scrape with a token from `server.read_tokens`, or set `server.metrics_public: true`');
  }
  if (access.networks !== null) {
    throw new HttpError(403, 'this read token is bound to networks: /metrics counts every network', 'scrape with a read token that has no `networks:`, or set `server.metrics_public: true`');
  }
}

export async function getMetrics(ctx: ServerContext, scraper: Scraper): Promise<Answer> {
  try {
    return { status: 200, body: await scraper.scrape(ctx.db), contentType: scraper.contentType };
  } catch (err) {
    throw new HttpError(503, `cannot read the metrics from the database: ${publicReason(err, ctx.db.where)}`, 'GET /healthz says whether the database answers; the server log may say more');
  }
}
