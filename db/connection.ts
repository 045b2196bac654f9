// Opens the store from a URL: a file path or sqlite:PATH (default ./portdelta.sqlite), or
// postgres://… (optionally ?schema=NAME). How depends on the command (OpenMode): only the commands
// that fill a store create and migrate one; the others need it to exist, and readers open it read-only.
import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { types as pgTypes } from 'pg';
import { DatabaseAbsentError, PortdeltaError, UsageError } from '../common/errors';
import { databaseFault, databaseReason, databaseRemedy, diskCause } from './db-errors';
import { lockWaitMs } from './lock-wait';
import { migrationSource } from './migrations';
import { checkSchema } from './schema-check';

export type Dialect = 'sqlite' | 'pg';

/**
 * create: create the store if needed and migrate it (migrate, ingest, watch, run, serve, demo).
 * write: the store must exist with portdelta's schema; pending migrations are applied (report, cleanup).
 * read: the store must exist with the current schema; opened read-only, never migrated.
 */
export type OpenMode = 'create' | 'write' | 'read';

export interface Db {
  readonly knex: Knex;
  readonly dialect: Dialect;
  /** Where the data lives, for messages (no password). */
  readonly where: string;
  close(): Promise<void>;
}

// Epoch milliseconds are bigint columns; they fit a JS number exactly, so read them as numbers.
pgTypes.setTypeParser(20, (v: string) => Number(v));

export const DEFAULT_DB = 'sqlite:./portdelta.sqlite';

// knex logs to stdout by default, which would corrupt --json output. Every failure it logs also
// reaches us as an error with a message of our own, so its notes go to stderr only for debugging.
const debugLog = (m: unknown) => {
  if (process.env.PORTDELTA_DEBUG) process.stderr.write(`portdelta: database: ${String(m)}\n`);
};
const log = {
  warn: debugLog,
  error: debugLog,
  deprecate: () => undefined,
  debug: () => undefined,
};

export function knexConfig(url: string, mode: OpenMode = 'create'): { config: Knex.Config; dialect: Dialect; where: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    const safe = new URL(u.toString());
    safe.password = safe.password ? '***' : '';
    return {
      dialect: 'pg',
      where: schema ? `${safe.toString()} (schema ${schema})` : safe.toString(),
      config: {
        client: 'pg',
        log,
        // A reader's session refuses writes, whatever a query would try.
        connection: mode === 'read' ? { connectionString: u.toString(), options: '-c default_transaction_read_only=on' } : u.toString(),
        searchPath: schema ? [schema] : undefined,
        pool: { min: 0, max: 4 },
        migrations: { migrationSource, tableName: 'knex_migrations' },
      },
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^sqlite:/i.test(url)) {
    throw new UsageError(`unsupported database URL '${url.replace(/\/\/[^@/]*@/, '//***@')}'`, 'use a file path, sqlite:PATH or postgres://user@host/db');
  }
  const file = url.replace(/^sqlite:(\/\/)?/i, '');
  const filename = file === ':memory:' ? file : path.resolve(file);
  return { dialect: 'sqlite', where: filename, config: sqliteConfig(filename, mode) };
}

/** SQLite's URI form of a file name: only %, ? and # need escaping. */
const sqliteUri = (filename: string, query: string): string =>
  `file:${filename.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}?${query}`;

function sqliteConfig(filename: string, mode: OpenMode, immutable = false): Knex.Config {
  const uri = mode !== 'create' && filename !== ':memory:';
  // WAL lets readers (report, serve) work while an ingest writes; NORMAL is durable at each
  // checkpoint and several times faster than FULL; the busy timeout makes a second process wait.
  // A reader leaves the journal mode as it is: changing it is a write.
  const pragmas = mode === 'read'
    ? `PRAGMA busy_timeout=${lockWaitMs()}; PRAGMA query_only=1;`
    : `PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=${lockWaitMs()}; PRAGMA foreign_keys=ON;`;
  return {
    client: 'sqlite3',
    log,
    // mode=rw/ro: the file must exist, so a mistyped path never becomes a new empty database.
    connection: uri
      ? { filename: sqliteUri(filename, mode === 'read' ? `mode=ro${immutable ? '&immutable=1' : ''}` : 'mode=rw'), flags: ['OPEN_URI'] }
      : { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void; close(cb: () => void): void }, ready: (err: Error | null, c: unknown) => void) {
        // knex drops a connection whose set-up failed without closing it: close it here, or its file
        // stays open (a daemon's descriptor, an in-process test's busy mount).
        const done = (err: Error | null, c: unknown) => (err ? conn.close(() => ready(err, c)) : ready(null, c));
        if (mode === 'read') return conn.exec(pragmas, (err) => done(err, conn));
        // A write-ahead log left behind by a write that failed (a full disk) is given back first: a
        // checkpoint that truncates it, before the busy timeout is set, so it never waits for anyone;
        // it fails harmlessly when others are reading or the disk is still full.
        conn.exec('PRAGMA journal_mode=WAL', (walErr) => {
          if (walErr) return done(walErr, conn);
          conn.exec('PRAGMA wal_checkpoint(TRUNCATE)', () => conn.exec(pragmas, (err) => done(err, conn)));
        });
      },
    },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  };
}

/** Opens the store as `opts.mode` says (default: create and migrate). */
export async function openDb(url: string = DEFAULT_DB, opts: { migrate?: boolean; mode?: OpenMode } = {}): Promise<Db> {
  const mode = opts.mode ?? 'create';
  const { config, dialect, where } = knexConfig(url, mode);
  if (dialect === 'sqlite' && mode !== 'create' && where !== ':memory:' && !fs.existsSync(where)) throw new DatabaseAbsentError('missing', where);
  let knex = knexFactory(config);
  try {
    if (mode === 'read' && dialect === 'sqlite') knex = await readableSqlite(knex, where);
    if (mode === 'create' && dialect === 'pg' && config.searchPath) {
      await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [(config.searchPath as string[])[0]]);
    }
    if (mode === 'read') await checkSchema(knex, where);
    else {
      if (mode === 'write' && !(await knex.schema.hasTable('knex_migrations'))) throw new DatabaseAbsentError('no-schema', where);
      // Migrating takes knex's migration lock, a write: only when something is pending, so that a
      // read or a report can start while an ingest holds SQLite's write lock.
      if (opts.migrate !== false && (await knex.migrate.list())[1].length > 0) await knex.migrate.latest();
    }
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    throw openError(err, dialect, where, mode);
  }
  return { knex, dialect, where, close: () => knex.destroy() };
}

function openError(err: unknown, dialect: Dialect, where: string, mode: OpenMode): PortdeltaError {
  if (err instanceof PortdeltaError) return err;
  const code = String((err as { code?: unknown }).code);
  // 3D000: PostgreSQL has no database of that name.
  if (code === '3D000' && mode !== 'create') return new DatabaseAbsentError('missing', where, err);
  const at = { dialect, where };
  const own = databaseFault(err) === 'locked' || databaseFault(err) === 'disk-full' || diskCause(err, at) !== null;
  const remedy = own
    ? databaseRemedy(err, at)
    : dialect === 'pg'
      ? 'check that PostgreSQL runs and the URL (user, host, database) is right'
      : mode === 'read'
        ? 'check that this user may read the file (and its folder)'
        : 'check that the directory exists and is writable';
  return new PortdeltaError('DATABASE', `cannot open the database at ${where}: ${databaseReason(err, at)}`, { cause: err, remedy });
}

/**
 * A read-only open of a WAL database needs its -shm and -wal files, or a folder where SQLite may
 * create them. Where neither is possible (a read-only mount, another user's folder) and there is no
 * -wal file, every change is in the main file, and it is read as immutable.
 */
async function readableSqlite(knex: Knex, filename: string): Promise<Knex> {
  try {
    await knex.raw('SELECT count(*) FROM sqlite_master');
    return knex;
  } catch (err) {
    const code = String((err as { code?: unknown }).code);
    if (!['SQLITE_READONLY', 'SQLITE_CANTOPEN'].includes(code) || walPending(filename)) throw err;
    await knex.destroy();
    const immutable = knexFactory(sqliteConfig(filename, 'read', true));
    try {
      await immutable.raw('SELECT count(*) FROM sqlite_master');
    } catch (e) {
      await immutable.destroy().catch(() => undefined);
      throw e;
    }
    return immutable;
  }
}

function walPending(filename: string): boolean {
  try {
    return fs.statSync(`${filename}-wal`).size > 0;
  } catch {
    return false;
  }
}
