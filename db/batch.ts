// Bulk writes in chunks the database accepts (Dialect.rowsPerInsert).
import type { Knex } from 'knex';
import type { Dialect } from './dialects/types';

export async function insertMany(trx: Knex | Knex.Transaction, dialect: Dialect, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const size = dialect.rowsPerInsert(Object.keys(rows[0]).length);
  for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
}

/** INSERT … ON CONFLICT (key) DO UPDATE SET the `update` columns; other columns keep their stored values. */
export async function upsertMany(
  trx: Knex | Knex.Transaction,
  dialect: Dialect,
  table: string,
  key: readonly string[],
  update: readonly string[],
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return;
  const size = dialect.rowsPerInsert(Object.keys(rows[0]).length);
  for (let i = 0; i < rows.length; i += size) {
    await trx(table).insert(rows.slice(i, i + size)).onConflict(key as string[]).merge(update as string[]);
  }
}
