// A store of the release before migration 011, rebuilt from the rows tools/make-migration-fixture.sh
// exported (test/fixtures/migration/): on either database, migrated up to a given migration only,
// then filled with those rows, ids kept.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { FIXTURES } from './cli';
import { migrationNames } from '../../db/migrations';

export const MIGRATION_FIXTURES = path.join(FIXTURES, 'migration');

type Table = { columns: string[]; rows: unknown[][] };

/** The old store's tables: name → its columns and its rows as value lists. */
export const oldRows = (): Record<string, Table> => JSON.parse(fs.readFileSync(path.join(MIGRATION_FIXTURES, 'old-release-rows.json'), 'utf8')) as Record<string, Table>;

/** Applies the migrations one at a time up to and including `last`. */
export async function migrateThrough(knex: Knex, last: string): Promise<void> {
  const names = migrationNames();
  for (let n = (await knex.migrate.list())[0].length; n <= names.indexOf(last); n++) await knex.migrate.up();
}

// Parents before children (scans.scanner_id references scanners.id); the rest in any order.
const FIRST = ['scanners', 'scans'];

/**
 * Inserts every table's rows (knex's own bookkeeping excepted: the fresh store has it), in pages
 * that stay under SQLite's bound-variable limit, then moves PostgreSQL's id sequences past the
 * highest id, as the old store's own would be.
 */
export async function insertOldRows(knex: Knex, kind: 'sqlite' | 'postgres', tables = oldRows()): Promise<void> {
  const names = Object.keys(tables).filter((t) => !t.startsWith('knex_migrations'));
  const ordered = [...FIRST, ...names.filter((t) => !FIRST.includes(t))];
  for (const t of ordered) {
    const { columns, rows } = tables[t];
    const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    const page = Math.max(1, Math.floor(900 / Math.max(1, columns.length)));
    for (let i = 0; i < objects.length; i += page) await knex(t).insert(objects.slice(i, i + page));
    if (kind === 'postgres' && columns.includes('id') && rows.length) {
      await knex.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT MAX(id) FROM ??))`, [t, t]);
    }
  }
}
