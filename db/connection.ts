// Opens the store from a URL: a file path or sqlite:PATH (default ./portdelta.sqlite), or
// postgres://… (optionally ?schema=NAME). The schema is migrated on first use.
import knexFactory, { type Knex } from 'knex';
import path from 'node:path';
import { types as pgTypes } from 'pg';
import { PortdeltaError, UsageError } from '../common/errors';
import { databaseFault, databaseReason, databaseRemedy, diskCause } from './db-errors';
import { lockWaitMs } from './lock-wait';
import { migrationSource } from './migrations';

export type Dialect = 'sqlite' | 'pg';

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

export function knexConfig(url: string): { config: Knex.Config; dialect: Dialect; where: string } {
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
        connection: u.toString(),
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
  return {
    dialect: 'sqlite',
    where: filename,
    config: {
      client: 'sqlite3',
      log,
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        // WAL lets readers (report, serve) work while an ingest writes; NORMAL is durable at each
        // checkpoint and several times faster than FULL; the busy timeout makes a second process wait.
        // A write-ahead log left behind by a write that failed (a full disk) is given back first: a
        // checkpoint that truncates it, before the busy timeout is set, so it never waits for anyone;
        // it fails harmlessly when others are reading or the disk is still full.
        afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, c: unknown) => void) {
          conn.exec('PRAGMA journal_mode=WAL', (walErr) => {
            if (walErr) return done(walErr, conn);
            conn.exec('PRAGMA wal_checkpoint(TRUNCATE)', () => {
              conn.exec(`PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=${lockWaitMs()}; PRAGMA foreign_keys=ON;`, (err) => done(err, conn));
            });
          });
        },
      },
      migrations: { migrationSource, tableName: 'knex_migrations' },
    },
  };
}

/** Opens and migrates. */
export async function openDb(url: string = DEFAULT_DB, opts: { migrate?: boolean } = {}): Promise<Db> {
  const { config, dialect, where } = knexConfig(url);
  const knex = knexFactory(config);
  try {
    if (dialect === 'pg' && config.searchPath) {
      await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [(config.searchPath as string[])[0]]);
    }
    // Migrating takes knex's migration lock, a write: only when something is pending, so that a
    // read or a report can start while an ingest holds SQLite's write lock.
    if (opts.migrate !== false && (await knex.migrate.list())[1].length > 0) await knex.migrate.latest();
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    const at = { dialect, where };
    const own = databaseFault(err) === 'locked' || databaseFault(err) === 'disk-full' || diskCause(err, at) !== null;
    throw new PortdeltaError('DATABASE', `cannot open the database at ${where}: ${databaseReason(err, at)}`, {
      cause: err,
      remedy: own ? databaseRemedy(err, at) : dialect === 'pg' ? 'check that PostgreSQL runs and the URL (user, host, database) is right' : 'check that the directory exists and is writable',
    });
  }
  return { knex, dialect, where, close: () => knex.destroy() };
}
