// The end of a claim (DESIGN §4): renewing its lease while a delivery runs, recording what was sent,
// and giving back what was not. Every statement finds the run's rows by their token.
import type { Knex } from 'knex';
import type { Db } from './connection';

const CHUNK = 400;
export const chunks = <T>(list: T[]): T[][] => Array.from({ length: Math.ceil(list.length / CHUNK) }, (_, i) => list.slice(i * CHUNK, (i + 1) * CHUNK));

const claimed = (knex: Knex, token: string) => knex('deliveries').where({ claim_token: token, status: 'claimed' });


/** The store as a write needs it. */
export type Store = Pick<Db, 'knex' | 'dialect'>;

/** A write transaction that waits for locks as long as a write waits (lockWaitMs), on every database. */
export function writing<T>(db: Store, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.knex.transaction(async (trx) => {
    await db.dialect.waitForLocks(trx);
    return work(trx);
  });
}

/** Keeps the claims alive while a long delivery runs; false when another run has taken them over. */
export async function renewLease(db: Store, token: string, leaseUntilMs: number): Promise<boolean> {
  return (await claimed(db.knex, token).update({ lease_until: leaseUntilMs })) > 0;
}

/** Records `ids` as delivered (a per-change delivery's progress); the rest stay claimed. */
export function markDelivered(db: Store, token: string, ids: number[], nowMs: number): Promise<void> {
  return writing(db, async (trx) => {
    for (const part of chunks(ids)) await claimed(trx, token).whereIn('change_id', part).update({ status: 'delivered', delivered_at: nowMs, lease_until: null });
  });
}

/**
 * Marks `ids` (all claimed ones when omitted) delivered and gives the other claims back for the next
 * run, in one transaction: when it fails, every claim stays as it was (claimed, under its lease).
 */
export function finishClaims(db: Store, token: string, nowMs: number, ids?: number[]): Promise<void> {
  return writing(db, async (trx) => {
    const mark = { status: 'delivered', delivered_at: nowMs, lease_until: null };
    if (ids === undefined) {
      await claimed(trx, token).update(mark);
      return;
    }
    for (const part of chunks(ids)) await claimed(trx, token).whereIn('change_id', part).update(mark);
    await claimed(trx, token).del();
  });
}
