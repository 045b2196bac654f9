// The end of a claim (DESIGN §4): renewing its lease while a delivery runs, recording what was sent,
// and giving back what was not. Every statement finds the run's rows by their token.
import type { Knex } from 'knex';
import { lockWaitMs } from './lock-wait';

const CHUNK = 400;
export const chunks = <T>(list: T[]): T[][] => Array.from({ length: Math.ceil(list.length / CHUNK) }, (_, i) => list.slice(i * CHUNK, (i + 1) * CHUNK));

const claimed = (knex: Knex, token: string) => knex('deliveries').where({ claim_token: token, status: 'claimed' });


/** A write transaction that waits for locks as long as SQLite's busy_timeout does, on PostgreSQL too. */
export function writing<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    if (knex.client.config.client === 'pg') await trx.raw("SELECT set_config('lock_timeout', ?, true)", [`${lockWaitMs()}ms`]);
    return work(trx);
  });
}

/** Keeps the claims alive while a long delivery runs; false when another run has taken them over. */
export async function renewLease(knex: Knex, token: string, leaseUntilMs: number): Promise<boolean> {
  return (await claimed(knex, token).update({ lease_until: leaseUntilMs })) > 0;
}

/** Records `ids` as delivered (a per-change delivery's progress); the rest stay claimed. */
export function markDelivered(knex: Knex, token: string, ids: number[], nowMs: number): Promise<void> {
  return writing(knex, async (trx) => {
    for (const part of chunks(ids)) await claimed(trx, token).whereIn('change_id', part).update({ status: 'delivered', delivered_at: nowMs, lease_until: null });
  });
}

/**
 * Marks `ids` (all claimed ones when omitted) delivered and gives the other claims back for the next
 * run, in one transaction: when it fails, every claim stays as it was (claimed, under its lease).
 */
export function finishClaims(knex: Knex, token: string, nowMs: number, ids?: number[]): Promise<void> {
  return writing(knex, async (trx) => {
    const mark = { status: 'delivered', delivered_at: nowMs, lease_until: null };
    if (ids === undefined) {
      await claimed(trx, token).update(mark);
      return;
    }
    for (const part of chunks(ids)) await claimed(trx, token).whereIn('change_id', part).update(mark);
    await claimed(trx, token).del();
  });
}
