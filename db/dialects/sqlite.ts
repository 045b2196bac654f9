// SQLite: a local file, one writer at a time (its busy timeout makes the others wait), keyset
// pagination, prepared multi-row INSERTs for staging, and a write-ahead log to give back after a failure.
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseAbsentError } from '../../common/errors';
import { PAGE, rowsOf } from '../rows';
import { readableSqlite, sqliteConfig } from './sqlite-open';
import { sqliteWriter } from './sqlite-stage';
import type { Dialect, PagedQuery, Trx } from './types';

/**
 * Keyset pagination on the key columns (the query's ORDER BY): each page one indexed range read.
 * Writes made while walking do not disturb it: the keyset moves past them.
 */
async function* keysetPages<T extends Record<string, unknown>>(trx: Trx, q: PagedQuery<T>): AsyncGenerator<T[]> {
  const after: Record<string, unknown> = Object.fromEntries(q.key.map((k, i) => [`k${i}`, k === 'port' ? -1 : '']));
  const cond = (cols: string) => `AND (${cols}) > (${q.key.map((_, i) => `:k${i}`).join(', ')})`;
  for (;;) {
    const sql = q.build(cond('$KEY'), `LIMIT ${PAGE}`); // the builder puts its key columns where $KEY stands
    const page = rowsOf<T>(await trx.raw(sql, { ...q.bindings, ...after }));
    if (page.length === 0) return;
    yield page;
    const last = page[page.length - 1];
    q.key.forEach((k, i) => (after[`k${i}`] = last[k]));
  }
}

const none = async (): Promise<void> => undefined;

export const sqlite: Dialect = Object.freeze<Dialect>({
  // A file path, sqlite:PATH or sqlite://PATH: anything without another URL scheme.
  accepts: (url: string) => /^sqlite:/i.test(url) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url),
  configure(url, mode) {
    const file = url.replace(/^sqlite:(\/\/)?/i, '');
    const filename = file === ':memory:' ? file : path.resolve(file);
    if (mode !== 'create' && filename !== ':memory:' && !fs.existsSync(filename)) throw new DatabaseAbsentError('missing', filename);
    return { where: filename, config: sqliteConfig(filename, mode) };
  },
  open: (knex, at) => (at.mode === 'read' ? readableSqlite(knex, at.where) : Promise.resolve(knex)),
  openRemedy: (mode) =>
    mode === 'read' ? 'check that this user may read the file (and its folder)' : 'check that the directory exists and is writable',
  localFile: (where) => (where === ':memory:' ? null : where),
  // SQLite binds at most 32,766 parameters per statement (db/batch.ts writes plain VALUES lists).
  rowsPerInsert: (columns) => Math.max(1, Math.floor(32000 / Math.max(1, columns))),
  joinedText: (expr, separator) => `group_concat(${expr}, ${separator})`,
  pages: keysetPages,
  stageWriter: sqliteWriter,
  createTemp: async (trx, name, columns) => {
    // Rolled back with the transaction whatever happens.
    await trx.raw(`CREATE TEMP TABLE ${name} (${columns})`);
  },
  dropTemp: async (trx, name) => {
    await trx.raw(`DROP TABLE IF EXISTS temp.${name}`);
  },
  analyzeTemp: none,
  // Without statistics SQLite's planner already prefers the indexes portdelta's queries name, and
  // ANALYZE would read every index in full.
  refreshStatistics: none,
  // One writer at a time anyway; its planner needs no hint.
  lock: none,
  planForBulk: none,
  byKey: (_trx, run) => run(),
  // busy_timeout (sqlite-open.ts) makes every statement wait.
  waitForLocks: none,
  // SQLite may keep a write-ahead log as big as the failed write; truncating it gives the space back,
  // so that the next run after the disk was freed finds it free.
  recover: async (knex, conn) => {
    await knex.client.query(conn, 'PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
  },
});
