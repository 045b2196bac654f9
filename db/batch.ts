// Bulk writes in chunks each database accepts: knex caps an SQLite multi-row insert at 500 rows
// (TOOLCHAIN.md); PostgreSQL takes up to 65,535 bind parameters per statement.
import type { Knex } from 'knex';
import type { Dialect } from './connection';

export function chunkSize(dialect: Dialect, columns: number): number {
  return dialect === 'sqlite' ? 500 : Math.max(1, Math.floor(60000 / Math.max(1, columns)));
}

export async function insertMany(trx: Knex | Knex.Transaction, dialect: Dialect, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const size = chunkSize(dialect, Object.keys(rows[0]).length);
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
  const size = chunkSize(dialect, Object.keys(rows[0]).length);
  for (let i = 0; i < rows.length; i += size) {
    await trx(table).insert(rows.slice(i, i + size)).onConflict(key as string[]).merge(update as string[]);
  }
}
