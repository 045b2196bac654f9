// Opening a SQLite file: its knex configuration per open mode, and a read-only open that works where
// SQLite may not create its shared-memory files.
import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import { lockWaitMs } from '../lock-wait';
import { knexLog, MIGRATIONS } from './knex-options';
import type { OpenMode } from './types';

/** SQLite's URI form of a file name: only %, ? and # need escaping. */
const sqliteUri = (filename: string, query: string): string =>
  `file:${filename.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}?${query}`;

export function sqliteConfig(filename: string, mode: OpenMode, immutable = false): Knex.Config {
  const uri = mode !== 'create' && filename !== ':memory:';
  // WAL lets readers (report, serve) work while an ingest writes; NORMAL is durable at each
  // checkpoint and several times faster than FULL; the busy timeout makes a second process wait.
  // A reader leaves the journal mode as it is: changing it is a write.
  const pragmas = mode === 'read'
    ? `PRAGMA busy_timeout=${lockWaitMs()}; PRAGMA query_only=1;`
    : `PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=${lockWaitMs()}; PRAGMA foreign_keys=ON;`;
  return {
    client: 'sqlite3',
    log: knexLog,
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
    migrations: MIGRATIONS,
  };
}

/**
 * A read-only open of a WAL database needs its -shm and -wal files, or a folder where SQLite may
 * create them. Where neither is possible (a read-only mount, another user's folder) and there is no
 * -wal file, every change is in the main file, and it is read as immutable.
 */
export async function readableSqlite(knex: Knex, filename: string): Promise<Knex> {
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
