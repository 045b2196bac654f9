// PostgreSQL: a server (optionally one schema of it), advisory locks to serialise writers across
// processes, cursors to walk big results, COPY for staging.
import type { Knex } from 'knex';
import { lockWaitMs } from '../lock-wait';
import { PAGE, rowsOf } from '../rows';
import { knexLog, MIGRATIONS } from './knex-options';
import { pgWriter } from './postgres-copy';
import type { Dialect, OpenMode, PagedQuery, Trx } from './types';

/** pg's Client, as far as it is used here. */
interface PgClient {
  setTypeParser(oid: number, format: 'text', parse: (v: string) => unknown): void;
}

// Epoch milliseconds are bigint columns; they fit a JS number exactly, so read them as numbers.
// Set on each connection, not on the pg module: a store on SQLite need not load pg at all (30 ms
// of every command's start).
function numericBigints(conn: PgClient, done: (err: Error | null, conn: PgClient) => void): void {
  conn.setTypeParser(20, 'text', Number);
  done(null, conn);
}

function configure(url: string, mode: OpenMode): { config: Knex.Config; where: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  const safe = new URL(u.toString());
  safe.password = safe.password ? '***' : '';
  return {
    where: schema ? `${safe.toString()} (schema ${schema})` : safe.toString(),
    config: {
      client: 'pg',
      log: knexLog,
      // A reader's session refuses writes, whatever a query would try.
      connection: mode === 'read' ? { connectionString: u.toString(), options: '-c default_transaction_read_only=on' } : u.toString(),
      searchPath: schema ? [schema] : undefined,
      pool: { min: 0, max: 4, afterCreate: numericBigints },
      migrations: MIGRATIONS,
    },
  };
}

let cursorCount = 0;

/**
 * A cursor, so the query is planned and run once (keyset pages re-ran its hash joins for every
 * page). Writes made while walking do not disturb it: a cursor reads the snapshot it was opened with.
 */
async function* cursorPages<T extends Record<string, unknown>>(trx: Trx, q: PagedQuery<T>): AsyncGenerator<T[]> {
  const name = `pd_cursor_${++cursorCount}`;
  // Every row is read: planned for the whole result, not for its first tenth (PostgreSQL's
  // default for cursors, which prefers plans that start fast).
  await trx.raw('SET LOCAL cursor_tuple_fraction = 1.0');
  await trx.raw(`DECLARE ${name} NO SCROLL CURSOR FOR ${q.build('', '')}`, q.bindings);
  try {
    for (;;) {
      const page = rowsOf<T>(await trx.raw(`FETCH ${PAGE} FROM ${name}`));
      if (page.length === 0) return;
      yield page;
    }
  } finally {
    await trx.raw(`CLOSE ${name}`);
  }
}

export const postgres: Dialect = Object.freeze<Dialect>({
  accepts: (url) => /^postgres(ql)?:\/\//i.test(url),
  configure,
  open: async (knex, at) => {
    if (at.mode === 'create' && at.config.searchPath) await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [(at.config.searchPath as string[])[0]]);
    return knex;
  },
  openRemedy: () => 'check that PostgreSQL runs and the URL (user, host, database) is right',
  localFile: () => null,
  // Up to 65,535 bind parameters per statement.
  rowsPerInsert: (columns) => Math.max(1, Math.floor(60000 / Math.max(1, columns))),
  joinedText: (expr, separator) => `string_agg(${expr}, ${separator})`,
  pages: cursorPages,
  stageWriter: pgWriter,
  createTemp: async (trx, name, columns) => {
    // Dropped with the transaction whatever happens.
    await trx.raw(`CREATE TEMP TABLE ${name} (${columns}) ON COMMIT DROP`);
  },
  dropTemp: async (trx, name) => {
    await trx.raw(`DROP TABLE IF EXISTS ${name}`);
  },
  // Temporary tables are never analysed automatically; without statistics the planner guesses badly.
  analyzeTemp: async (trx, name) => {
    await trx.raw(`ANALYZE ${name}`);
  },
  // Autovacuum analyses a table some minutes after it grew, on a quiet server; until then a first
  // load's million rows are planned as the empty table they were, and the dashboard's and the next
  // ingest's queries walk the wrong indexes (docs/benchmarks.md). ANALYZE reads a sample of each.
  refreshStatistics: async (knex) => {
    await knex.raw('ANALYZE port_state, host_state, changes');
  },
  // The key includes the schema: advisory locks are per database, and two portdelta stores in two
  // schemas must not wait for each other.
  lock: async (trx, key) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('portdelta:' || current_schema() || ':' || ?))", [key]);
  },
  // A brand-new id is a value no statistics can know yet, so the planner would expect one row and
  // pick nested loops that go quadratic on a big scan (measured: 93 s instead of 0.2 s on a /16).
  // Hash joins are right for these bulk statements.
  planForBulk: async (trx) => {
    await trx.raw('SET LOCAL enable_nestloop = off');
  },
  // Switched back off only after a statement that worked: after a failure the transaction is
  // aborted, and a SET there would replace the error that matters.
  byKey: async (trx, run) => {
    await trx.raw('SET LOCAL enable_nestloop = on');
    const result = await run();
    await trx.raw('SET LOCAL enable_nestloop = off');
    return result;
  },
  // SQLite's busy_timeout, on PostgreSQL.
  waitForLocks: async (trx) => {
    await trx.raw("SELECT set_config('lock_timeout', ?, true)", [`${lockWaitMs()}ms`]);
  },
  recover: async () => undefined,
});
