// forEachDb: the same suite on SQLite and on PostgreSQL (STYLE.md). Each suite gets a fresh
// database: a temporary SQLite file, or its own PostgreSQL schema that is dropped afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDb, type Db } from '../../db/connection';

export interface TestDb {
  kind: 'sqlite' | 'postgres';
  /** A fresh, empty database URL for each call. */
  fresh(): string;
}

const pgOk = !!process.env.PORTDELTA_TEST_PG_OK;
const schemas: string[] = [];
const dirs: string[] = [];

export function sqliteDb(): TestDb {
  return {
    kind: 'sqlite',
    fresh() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-test-'));
      dirs.push(dir);
      return `sqlite:${path.join(dir, 'test.sqlite')}`;
    },
  };
}

function pgDb(): TestDb {
  return {
    kind: 'postgres',
    fresh() {
      const schema = `pdt_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      const u = new URL(process.env.PORTDELTA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test');
      u.searchParams.set('schema', schema);
      return u.toString();
    },
  };
}

afterAll(async () => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  if (schemas.length && pgOk) {
    const c = new Client({ connectionString: process.env.PORTDELTA_TEST_PG_URL });
    await c.connect();
    for (const s of schemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await c.end();
  }
});

/**
 * Without PostgreSQL (outside CI: global-setup fails the run when it is required) the PostgreSQL
 * half is still declared, as a skipped block whose title says why: jest counts its tests as
 * skipped, not as passed.
 */
export function forEachDb(title: string, fn: (db: TestDb) => void): void {
  describe(`${title} [sqlite]`, () => fn(sqliteDb()));
  if (pgOk) describe(`${title} [postgres]`, () => fn(pgDb()));
  else describe.skip(`${title} [postgres] (skipped: ${process.env.PORTDELTA_TEST_PG_SKIP_REASON ?? 'PostgreSQL is not reachable'})`, () => fn(pgDb()));
}

/** Opens the database at `url` for `fn`, and closes it after. */
export async function withDb<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
