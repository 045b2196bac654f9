// Deliveries (DESIGN §4): which output agent has taken which change. Claims hold no database lock
// while a mail, hook or webhook runs: a claim is a row with a token and a lease, written in one short
// transaction; the delivery happens outside it; then the rows are marked (db/delivery-marks.ts).
import type { Knex } from 'knex';
import type { ChangeRow } from '../common/types';
import type { Db } from './connection';
import { pending, type DeliveryFilter } from './delivery-filter';
import { chunks, writing } from './delivery-marks';
import { CHANGE_COLUMNS, iso, toChangeRow } from './query-repo';

export type { DeliveryFilter } from './delivery-filter';

/** The equivalence key of a change (DESIGN §4 target groups) and where it stands. */
export interface KeyedChange {
  change_id: number;
  ip: string;
  ip_key: string;
  proto: string | null;
  port: number | null;
  type: number;
  detected_at: number;
}

/** What the caller decided about a freshly claimed change; absent = deliver it as it is. */
export type Decision = { status: 'suppressed'; reason: 'duplicate' | 'expected'; of?: number } | { confirms: number };

export interface ClaimSpec {
  agent: string;
  targetGroup: string | null;
  filter: DeliveryFilter;
  token: string;
  /** duplicate_window: the group's origins are read only this close (by detection time) to the claimed changes. */
  windowMs: number;
  /** max_changes: the most changes one run takes, lowest ids first. */
  limit: number;
  /** The clock; the lease is computed from it at the end of the claim, so a slow claim never commits an expired one. */
  now(): number;
  leaseMs: number;
  /**
   * Baseline changes are claimed all at once, beside the limit and without duplicate decisions,
   * and left out of the returned changes: the agent delivers them as one summary per scanner.
   */
  summarizeBaseline?: boolean;
}

export interface ClaimedChange extends ChangeRow {
  confirms: number | null;
  scan_time: string | null;
}

const keyed = (r: Record<string, unknown>): KeyedChange => ({
  change_id: Number(r.change_id),
  ip: r.ip as string,
  ip_key: r.ip_key as string,
  proto: (r.proto as string) ?? null,
  port: r.port == null ? null : Number(r.port),
  type: Number(r.type),
  detected_at: Number(r.detected_at),
});

/** Leaves out delivery rows that are not the group's history: this run's own, or claims about to be taken over. */
type NotOrigin = { token: string } | { expiredOf: string; beforeMs: number };

/**
 * Changes of a target group that went out (or are going out) as the first of their kind: delivered
 * or claimed, not suppressed, not themselves confirming another; equivalent to one of `fresh` (a
 * subquery of ip_key, proto, port, type, detected_at) and within the window of it. The window keeps
 * this to the recent history of the claimed keys, not everything the group ever got.
 */
async function knownOrigins(knex: Knex, group: string, fresh: Knex.QueryBuilder, windowMs: number, not: NotOrigin): Promise<KeyedChange[]> {
  const q = knex('deliveries as d')
    .join(fresh.as('f'), function () {
      this.on('d.ip_key', 'f.ip_key').andOn('d.type', 'f.type')
        .andOn(function () { this.on('d.proto', 'f.proto').orOn(function () { this.onNull('d.proto').andOnNull('f.proto'); }); })
        .andOn(function () { this.on('d.port', 'f.port').orOn(function () { this.onNull('d.port').andOnNull('f.port'); }); })
        .andOn('d.detected_at', '>=', knex.raw('f.detected_at - ?', [windowMs]))
        .andOn('d.detected_at', '<=', knex.raw('f.detected_at + ?', [windowMs]));
    })
    .join('changes as c', 'c.id', 'd.change_id')
    .distinct('d.change_id', 'c.ip', 'd.ip_key', 'd.proto', 'd.port', 'd.type', 'd.detected_at')
    .where('d.target_group', group)
    .whereIn('d.status', ['claimed', 'delivered'])
    .whereNull('d.confirms_change_id');
  if ('token' in not) q.where((w) => { w.whereNull('d.claim_token').orWhereNot('d.claim_token', not.token); });
  else q.whereNot((w) => { w.where('d.agent', not.expiredOf).where('d.status', 'claimed').where('d.lease_until', '<', not.beforeMs); });
  return (await q).map(keyed);
}

async function applyDecisions(trx: Knex.Transaction, token: string, decisions: Map<number, Decision>): Promise<void> {
  const mine = () => trx('deliveries').where({ claim_token: token, status: 'claimed' });
  const suppressed = [...decisions].filter(([, d]) => 'status' in d).map(([id]) => id);
  for (const ids of chunks(suppressed)) await mine().whereIn('change_id', ids).update({ status: 'suppressed', lease_until: null });
  const byOrigin = new Map<number, number[]>();
  for (const [id, d] of decisions) if ('confirms' in d) byOrigin.set(d.confirms, [...(byOrigin.get(d.confirms) ?? []), id]);
  for (const [origin, list] of byOrigin) {
    for (const ids of chunks(list)) await mine().whereIn('change_id', ids).update({ confirms_change_id: origin });
  }
}

const expiredClaims = (knex: Knex, agent: string, beforeMs: number) =>
  knex('deliveries').where({ agent, status: 'claimed' }).where('lease_until', '<', beforeMs);

/**
 * Claims, in one short transaction, the agent's pending changes, at most `limit`, lowest ids first:
 * claims of crashed runs whose lease ran out, then new ones (one INSERT … SELECT tags them with the
 * token). `decide` marks target-group repeats and expected changes among the new ones (it sees what
 * other runs of the group decided before, because claims are serialised per target group). The lease
 * is set last, from the clock at that moment. Returns what to deliver.
 */
export async function claimChanges(
  db: Db,
  spec: ClaimSpec,
  decide: (fresh: KeyedChange[], known: KeyedChange[]) => Map<number, Decision>,
): Promise<{ changes: ClaimedChange[]; decisions: Map<number, Decision> }> {
  const { agent, token } = spec;
  const decisions = await writing(db, async (trx) => {
    // PostgreSQL: one claimer per target group at a time, so two agents of a group never both take
    // an equivalent change as the first. SQLite: the UPDATE below is the first statement, so the
    // transaction starts as a writer and waits on busy_timeout instead of failing with SQLITE_BUSY.
    await db.dialect.lock(trx, `deliveries:${spec.targetGroup ?? `agent ${agent}`}`);
    const startMs = spec.now();
    // Claims of a crashed run are taken over under a second token until the decisions are made:
    // they were decided by their own run and stay origins for the new ones.
    const oldToken = `${token}:old`;
    const oldest = expiredClaims(trx, agent, startMs).select('change_id').orderBy('change_id').limit(spec.limit);
    const took = await expiredClaims(trx, agent, startMs).whereIn('change_id', oldest).update({ claim_token: oldToken });
    const filter = spec.summarizeBaseline ? { ...spec.filter, baseline: false } : spec.filter;
    if (spec.summarizeBaseline) await claimPending(trx, spec, { ...spec.filter, baseline: true }, `${token}:base`, startMs);
    if (took < spec.limit) await claimPending(trx, spec, filter, token, startMs, spec.limit - took);
    const mine = (t = token) => trx('deliveries as d').where({ 'd.claim_token': t, 'd.status': 'claimed' });
    const fresh = (
      await mine().join('changes as c', 'c.id', 'd.change_id').orderBy('d.change_id')
        .select('d.change_id', 'c.ip', 'd.ip_key', 'd.proto', 'd.port', 'd.type', 'd.detected_at')
    ).map(keyed);
    const freshKeys = mine().select('d.ip_key', 'd.proto', 'd.port', 'd.type', 'd.detected_at');
    const known = spec.targetGroup && fresh.length ? await knownOrigins(trx, spec.targetGroup, freshKeys, spec.windowMs, { token }) : [];
    const decided = decide(fresh, known);
    await applyDecisions(trx, token, decided);
    if (took > 0) await mine(oldToken).update({ claim_token: token });
    if (spec.summarizeBaseline) await mine(`${token}:base`).update({ claim_token: token });
    await mine().update({ lease_until: spec.now() + spec.leaseMs });
    return decided;
  });
  return { changes: await claimedChanges(db.knex, token, !spec.summarizeBaseline), decisions };
}

/** One INSERT … SELECT: the filter's pending changes, lowest ids first, claimed under `token`. */
async function claimPending(trx: Knex.Transaction, spec: ClaimSpec, filter: DeliveryFilter, token: string, startMs: number, limit?: number): Promise<void> {
  const q = pending(trx, spec.agent, filter)
    .select(
      trx.raw('?', [spec.agent]), 'c.id', trx.raw('?', [spec.targetGroup]), 'c.ip_key', 'c.proto', 'c.port', 'c.type', 'c.detected_at',
      trx.raw("'claimed'"), trx.raw('?', [token]), trx.raw('CAST(? AS BIGINT)', [startMs + spec.leaseMs]),
    )
    .orderBy('c.id');
  if (limit !== undefined) q.limit(limit);
  const { sql, bindings } = q.toSQL();
  await trx.raw(
    `INSERT INTO deliveries (agent, change_id, target_group, ip_key, proto, port, type, detected_at, status, claim_token, lease_until) ${sql} ON CONFLICT (agent, change_id) DO NOTHING`,
    bindings as Knex.RawBinding[],
  );
}

async function claimedChanges(knex: Knex, token: string, withBaseline: boolean): Promise<ClaimedChange[]> {
  const rows = await knex('deliveries as d')
    .join('changes as c', 'c.id', 'd.change_id')
    .join('scanners as s', 's.id', 'c.scanner_id')
    .leftJoin('scans as sc', 'sc.id', 'c.scan_id')
    .where('d.claim_token', token)
    .where('d.status', 'claimed')
    .where((w) => {
      if (!withBaseline) w.where('c.baseline', 0);
    })
    .select([...CHANGE_COLUMNS, 'd.confirms_change_id', 'sc.started_at', 'sc.finished_at'])
    .orderBy('c.id');
  return rows.map(withScan);
}

function withScan(r: Record<string, unknown>): ClaimedChange {
  return {
    ...toChangeRow(r),
    confirms: r.confirms_change_id == null ? null : Number(r.confirms_change_id),
    scan_time: iso((r.started_at ?? r.finished_at) as number | null),
  };
}

/**
 * What a claim would take now, without writing: pending changes (those with only an expired claim
 * of the agent included), at most `limit`, and the group's known origins; the agent's own expired
 * claims are not origins, since the claim would take them over and send them itself.
 */
export async function previewClaim(
  knex: Knex,
  spec: Pick<ClaimSpec, 'agent' | 'targetGroup' | 'filter' | 'windowMs' | 'limit'> & { nowMs: number },
): Promise<{ changes: ClaimedChange[]; fresh: KeyedChange[]; known: KeyedChange[] }> {
  const take = () => pending(knex, spec.agent, spec.filter, spec.nowMs).orderBy('c.id').limit(spec.limit);
  const rows = await take()
    .leftJoin('scans as sc', 'sc.id', 'c.scan_id')
    .select([...CHANGE_COLUMNS, 'c.ip_key', 'sc.started_at', 'sc.finished_at', knex.raw('NULL as confirms_change_id')]);
  const changes = rows.map(withScan);
  const fresh = rows.map((r: Record<string, unknown>) => keyed({ ...r, change_id: r.id }));
  const keys = take().select('c.ip_key', 'c.proto', 'c.port', 'c.type', 'c.detected_at');
  const known = spec.targetGroup && fresh.length
    ? await knownOrigins(knex, spec.targetGroup, keys, spec.windowMs, { expiredOf: spec.agent, beforeMs: spec.nowMs })
    : [];
  return { changes, fresh, known };
}

/** Changes the agent would still take after this run: pending ones, and claims whose lease ran out. */
export async function countWaiting(knex: Knex, agent: string, filter: DeliveryFilter, nowMs: number): Promise<number> {
  const [{ n }] = await pending(knex, agent, filter, nowMs).count({ n: '*' });
  return Number(n);
}
