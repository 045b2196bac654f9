// Deliveries (DESIGN §4): which output agent has taken which change. Claims hold no database lock
// while a mail, hook or webhook runs: a claim is a row with a token and a lease, written in one short
// transaction; the delivery happens outside it; then the rows are marked or deleted again.
import type { Knex } from 'knex';
import type { ChangeRow } from '../common/types';
import type { Db } from './connection';
import { pending, type DeliveryFilter } from './delivery-filter';
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
  nowMs: number;
  leaseUntilMs: number;
}

export interface ClaimedChange extends ChangeRow {
  confirms: number | null;
  scan_time: string | null;
}

const CHUNK = 400;
const chunks = <T>(list: T[]): T[][] => Array.from({ length: Math.ceil(list.length / CHUNK) }, (_, i) => list.slice(i * CHUNK, (i + 1) * CHUNK));

const keyed = (r: Record<string, unknown>): KeyedChange => ({
  change_id: Number(r.change_id),
  ip: r.ip as string,
  ip_key: r.ip_key as string,
  proto: (r.proto as string) ?? null,
  port: r.port == null ? null : Number(r.port),
  type: Number(r.type),
  detected_at: Number(r.detected_at),
});

/**
 * Changes of a target group that went out (or are going out) as the first of their kind: delivered
 * or claimed, not suppressed, not themselves confirming another; on the same addresses as `ipKeys`.
 */
async function knownOrigins(knex: Knex, group: string, ipKeys: Knex.QueryBuilder, excludeToken?: string): Promise<KeyedChange[]> {
  const q = knex('deliveries as d')
    .join('changes as c', 'c.id', 'd.change_id')
    .distinct('d.change_id', 'c.ip', 'd.ip_key', 'd.proto', 'd.port', 'd.type', 'd.detected_at')
    .where('d.target_group', group)
    .whereIn('d.status', ['claimed', 'delivered'])
    .whereNull('d.confirms_change_id')
    .whereIn('d.ip_key', ipKeys);
  if (excludeToken) q.where((w) => w.whereNull('d.claim_token').orWhereNot('d.claim_token', excludeToken));
  return (await q).map(keyed);
}

async function applyDecisions(trx: Knex.Transaction, token: string, decisions: Map<number, Decision>): Promise<void> {
  const suppressed = [...decisions].filter(([, d]) => 'status' in d).map(([id]) => id);
  for (const ids of chunks(suppressed)) {
    await trx('deliveries').where('claim_token', token).whereIn('change_id', ids).update({ status: 'suppressed', lease_until: null });
  }
  const byOrigin = new Map<number, number[]>();
  for (const [id, d] of decisions) if ('confirms' in d) byOrigin.set(d.confirms, [...(byOrigin.get(d.confirms) ?? []), id]);
  for (const [origin, list] of byOrigin) {
    for (const ids of chunks(list)) await trx('deliveries').where('claim_token', token).whereIn('change_id', ids).update({ confirms_change_id: origin });
  }
}

/**
 * Claims, in one short transaction, every pending change of the agent: one INSERT … SELECT tags
 * them with the token and a lease; `decide` then marks target-group repeats and expected changes
 * (it sees what other runs of the group decided before, because the decisions are serialised per
 * target group); claims of crashed runs whose lease ran out are taken over. Returns what to deliver.
 */
export async function claimChanges(
  db: Db,
  spec: ClaimSpec,
  decide: (fresh: KeyedChange[], known: KeyedChange[]) => Map<number, Decision>,
): Promise<{ changes: ClaimedChange[]; decisions: Map<number, Decision> }> {
  const { agent, token } = spec;
  const decisions = await db.knex.transaction(async (trx) => {
    // PostgreSQL: one claimer per target group at a time, so two agents of a group never both take
    // an equivalent change as the first. SQLite: the INSERT below is the first statement, so the
    // transaction starts as a writer and waits on busy_timeout instead of failing with SQLITE_BUSY.
    if (db.dialect === 'pg') {
      await trx.raw("SELECT pg_advisory_xact_lock(hashtext('portdelta:' || current_schema() || ':deliveries:' || ?))", [spec.targetGroup ?? `agent ${agent}`]);
    }
    const { sql, bindings } = pending(trx, agent, spec.filter)
      .select(
        trx.raw('?', [agent]), 'c.id', trx.raw('?', [spec.targetGroup]), 'c.ip_key', 'c.proto', 'c.port', 'c.type', 'c.detected_at',
        trx.raw("'claimed'"), trx.raw('?', [token]), trx.raw('CAST(? AS BIGINT)', [spec.leaseUntilMs]),
      )
      .toSQL();
    await trx.raw(
      `INSERT INTO deliveries (agent, change_id, target_group, ip_key, proto, port, type, detected_at, status, claim_token, lease_until) ${sql} ON CONFLICT (agent, change_id) DO NOTHING`,
      bindings as Knex.RawBinding[],
    );
    const fresh = (
      await trx('deliveries as d').join('changes as c', 'c.id', 'd.change_id').where('d.claim_token', token).orderBy('d.change_id')
        .select('d.change_id', 'c.ip', 'd.ip_key', 'd.proto', 'd.port', 'd.type', 'd.detected_at')
    ).map(keyed);
    const known = spec.targetGroup && fresh.length
      ? await knownOrigins(trx, spec.targetGroup, trx('deliveries').select('ip_key').where('claim_token', token), token)
      : [];
    const decided = decide(fresh, known);
    await applyDecisions(trx, token, decided);
    await trx('deliveries').where({ agent, status: 'claimed' }).where('lease_until', '<', spec.nowMs)
      .update({ claim_token: token, lease_until: spec.leaseUntilMs });
    return decided;
  });
  return { changes: await claimedChanges(db.knex, token), decisions };
}

async function claimedChanges(knex: Knex, token: string): Promise<ClaimedChange[]> {
  const rows = await knex('deliveries as d')
    .join('changes as c', 'c.id', 'd.change_id')
    .join('scanners as s', 's.id', 'c.scanner_id')
    .leftJoin('scans as sc', 'sc.id', 'c.scan_id')
    .where('d.claim_token', token)
    .where('d.status', 'claimed')
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

/** What a claim would take now, without writing: pending changes and the group's known origins. */
export async function previewClaim(
  knex: Knex,
  spec: Pick<ClaimSpec, 'agent' | 'targetGroup' | 'filter' | 'nowMs'>,
): Promise<{ changes: ClaimedChange[]; fresh: KeyedChange[]; known: KeyedChange[] }> {
  const rows = await pending(knex, spec.agent, spec.filter, spec.nowMs)
    .leftJoin('scans as sc', 'sc.id', 'c.scan_id')
    .select([...CHANGE_COLUMNS, 'c.ip_key', 'sc.started_at', 'sc.finished_at', knex.raw('NULL as confirms_change_id')])
    .orderBy('c.id');
  const changes = rows.map(withScan);
  const fresh = rows.map((r: Record<string, unknown>) => keyed({ ...r, change_id: r.id }));
  const keys = pending(knex, spec.agent, spec.filter, spec.nowMs).select('c.ip_key');
  const known = spec.targetGroup && fresh.length ? await knownOrigins(knex, spec.targetGroup, keys) : [];
  return { changes, fresh, known };
}

/** Keeps the claims alive while a long delivery runs; false when another run has taken them over. */
export async function renewLease(knex: Knex, token: string, leaseUntilMs: number): Promise<boolean> {
  return (await knex('deliveries').where({ claim_token: token, status: 'claimed' }).update({ lease_until: leaseUntilMs })) > 0;
}

/** Marks `ids` (all claimed ones when omitted) delivered and gives the other claims back for the next run. */
export async function finishClaims(knex: Knex, token: string, nowMs: number, ids?: number[]): Promise<void> {
  const mark = (q: Knex.QueryBuilder) => q.update({ status: 'delivered', delivered_at: nowMs, lease_until: null });
  if (ids === undefined) {
    await mark(knex('deliveries').where({ claim_token: token, status: 'claimed' }));
    return;
  }
  for (const part of chunks(ids)) await mark(knex('deliveries').where({ claim_token: token, status: 'claimed' }).whereIn('change_id', part));
  await knex('deliveries').where({ claim_token: token, status: 'claimed' }).del();
}
