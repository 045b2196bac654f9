// Ending a transaction so that a failed COMMIT is an error. knex's `trx.commit()` resolves even when
// the database refuses the COMMIT (a full disk, a deferred constraint): only the transaction's own
// promise says so. A caller that trusted it printed "applied" for a scan that was never stored.
import type { Knex } from 'knex';
import { databaseError, type DbPlace } from './db-errors';

interface Place extends DbPlace {
  readonly knex: Knex;
}

/**
 * After a failed statement or COMMIT: make sure the connection holds no open transaction (SQLite may
 * keep one after SQLITE_FULL), and give back the space a SQLite write-ahead log took, so that the
 * next run after the disk was freed finds it free. Best effort: the error already on its way counts.
 */
export async function recoverConnection(db: Place, conn: unknown): Promise<void> {
  await db.knex.client.query(conn, 'ROLLBACK').catch(() => undefined);
  await db.dialect.recover(db.knex, conn);
}

/**
 * Commits (or, for a dry run, rolls back) `trx` and throws a one-line database error, naming
 * `doing`, when the database refused. `conn` is the transaction's connection when the caller holds it.
 */
export async function endTransaction(db: Place, trx: Knex.Transaction, how: 'commit' | 'rollback', doing: string): Promise<void> {
  const conn: unknown = await trx.client.acquireConnection(); // the transaction's own connection
  try {
    if (how === 'commit') await trx.commit();
    else await trx.rollback();
    await trx.executionPromise;
  } catch (err) {
    await recoverConnection(db, conn);
    throw databaseError(doing, err, db);
  }
}
