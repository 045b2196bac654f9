// Bulk writes in chunks the database accepts (Dialect.rowsPerInsert), as one plain multi-row
// INSERT … VALUES per chunk. Knex's query builder costs more than the database here: on SQLite it
// writes `SELECT ? AS a UNION ALL …`, capped at 500 rows, and compiles every row on the main
// thread (a night's 77,000 change rows took 1.9 s through the builder, before they moved to the
// bulk writer, db/stage-writer.ts).
import type { Knex } from 'knex';
import type { Dialect } from './dialects/types';

type Row = Record<string, unknown>;

const quoted = (name: string): string => `"${name}"`;

async function writeChunks(trx: Knex | Knex.Transaction, dialect: Dialect, table: string, rows: readonly object[], tail: string): Promise<void> {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const size = dialect.rowsPerInsert(cols.length);
  const one = `(${cols.map(() => '?').join(',')})`;
  const head = `INSERT INTO ${quoted(table)} (${cols.map(quoted).join(',')}) VALUES `;
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size) as Row[];
    const values: unknown[] = [];
    for (const r of chunk) for (const c of cols) values.push(r[c] ?? null);
    await trx.raw(head + Array(chunk.length).fill(one).join(',') + tail, values as Knex.RawBinding[]);
  }
}

export async function insertMany(trx: Knex | Knex.Transaction, dialect: Dialect, table: string, rows: readonly object[]): Promise<void> {
  await writeChunks(trx, dialect, table, rows, '');
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
  const set = update.map((c) => `${quoted(c)} = excluded.${quoted(c)}`).join(', ');
  await writeChunks(trx, dialect, table, rows, ` ON CONFLICT (${key.map(quoted).join(',')}) DO UPDATE SET ${set}`);
}
