// Which commands may create a database, and how the others open one (issues 11.7, 12.1): a reader
// on a missing store is exit 2 naming the path, where it came from and the remedy, and creates
// nothing; readers work on a store the user can only read, and never migrate it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { forEachDb, type TestDb } from '../helpers/db';
import { cli, SCANS, spawnCli } from '../helpers/cli';
import { openDb } from '../../db/connection';
import { migrationNames } from '../../db/migrations';

const NIGHT1 = path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml');
const NOBODY = 65534;

function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-dbopen-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A policy that allows every TCP port, so `audit` has a file to read. */
function policy(dir: string): string {
  const file = path.join(dir, 'policy.yaml');
  fs.writeFileSync(file, '- { network: 0.0.0.0/0, proto: tcp, ports: any, action: allow }\n');
  fs.chmodSync(file, 0o644);
  return file;
}

/** Every command that needs an existing store, with the arguments it needs to get that far. */
const NEEDS_STORE = (pol: string): string[][] => [
  ['changes'], ['state'], ['hosts'], ['disagreements'], ['audit', '--policy', pol], ['report'], ['cleanup', '--older-than', '1d', '--dry-run'],
];

/** Whether the store holds any table: none may appear after a refused command. */
async function hasTables(db: TestDb, url: string): Promise<boolean> {
  if (db.kind === 'sqlite') return fs.existsSync(url.replace(/^sqlite:/, ''));
  const schema = new URL(url).searchParams.get('schema')!;
  const c = new Client({ connectionString: process.env.PORTDELTA_TEST_PG_URL });
  await c.connect();
  try {
    const r = await c.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
    return r.rows[0].n > 0;
  } finally {
    await c.end();
  }
}

forEachDb('a command that only uses a store, on a store that is not there', (db) => {
  test.each(NEEDS_STORE('POLICY').map((a) => [a.join(' '), a]))('`%s` exits 2 naming the store, its source and the remedy, and creates nothing', async (_t, args) => {
    const dir = scratch();
    const url = db.fresh();
    const argv = args.map((a) => (a === 'POLICY' ? policy(dir) : a));
    const r = await cli(['--db', url, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const where = db.kind === 'sqlite' ? `no database at ${url.replace(/^sqlite:/, '')}` : 'has no portdelta schema';
    expect(r.stderr).toContain(where);
    expect(r.stderr).toContain('(given by --db)');
    expect(r.stderr).toContain('remedy: correct --db');
    expect(r.stderr).toContain('portdelta migrate');
    expect(await hasTables(db, url)).toBe(false);
  });

  test('PORTDELTA_DB and `database:` in the config are named as the source', async () => {
    const dir = scratch();
    const url = db.fresh();
    const env = await cli(['changes'], { env: { PORTDELTA_DB: url } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('from the environment variable PORTDELTA_DB');
    expect(env.stderr).toContain('remedy: correct PORTDELTA_DB');
    const config = path.join(dir, 'portdelta.yaml');
    fs.writeFileSync(config, `database: "${url}"\n`);
    const cfg = await cli(['--config', config, 'state']);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain(`from \`database:\` in ${config}`);
    expect(await hasTables(db, url)).toBe(false);
  });

  test('the commands that fill a store still create it: migrate, then ingest, and the readers see the result', async () => {
    const url = db.fresh();
    expect((await cli(['--db', url, 'migrate'])).code).toBe(0);
    expect((await cli(['--db', url, 'changes'])).code).toBe(0);
    const other = db.fresh();
    const ing = await cli(['--db', other, 'ingest', '--scanner', 'scan-in', NIGHT1]);
    expect(ing.code).toBe(0);
    const state = await cli(['--db', other, 'state', '--json']);
    expect(state.code).toBe(0);
    expect((JSON.parse(state.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  test('a store with an older schema: readers say so and point to `portdelta migrate`, and leave it as it is', async () => {
    const url = db.fresh();
    await olderStore(url);
    for (const args of [['changes'], ['state'], ['hosts'], ['disagreements']]) {
      const r = await cli(['--db', url, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('older schema than this portdelta');
      expect(r.stderr).toContain('run `portdelta migrate`');
    }
    expect(await migrationCount(db, url)).toBe(2);
    const m = await cli(['--db', url, 'migrate', '--json']);
    expect(JSON.parse(m.stdout).migrations).toBe(migrationNames().length);
    expect((await cli(['--db', url, 'changes'])).code).toBe(0);
  });
});

const PG_OK = !!process.env.PORTDELTA_TEST_PG_OK;
(PG_OK ? test : test.skip)(`a PostgreSQL database that does not exist: exit 2 with the URL and createdb in the remedy${PG_OK ? '' : ` (skipped: ${process.env.PORTDELTA_TEST_PG_SKIP_REASON})`}`, async () => {
  const u = new URL(process.env.PORTDELTA_TEST_PG_URL!);
  u.pathname = '/pd_no_such_database';
  const r = await cli(['--db', u.toString(), 'changes']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('no database at postgres://');
  expect(r.stderr).toContain('pd_no_such_database');
  expect(r.stderr).toContain('createdb');
});

test('the default store in the current directory: the message says no --db, PORTDELTA_DB or config named one, and nothing is created', async () => {
  const dir = scratch();
  const r = await cli(['changes'], { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`no database at ${path.join(fs.realpathSync(dir), 'portdelta.sqlite')}`);
  expect(r.stderr).toContain('no --db, no PORTDELTA_DB');
  expect(r.stderr).toContain('give --db, set PORTDELTA_DB');
  expect(fs.readdirSync(dir)).toEqual([]);
});

/** A store as the first two migrations left it: what an older portdelta wrote. */
async function olderStore(url: string): Promise<void> {
  const store = await openDb(url, { migrate: false });
  try {
    await store.knex.migrate.up();
    await store.knex.migrate.up();
  } finally {
    await store.close();
  }
}

async function migrationCount(db: TestDb, url: string): Promise<number> {
  return withStore(db, url, async (q) => Number(((await q('SELECT count(*) AS n FROM knex_migrations')) as Array<{ n: unknown }>)[0].n));
}

/** Runs SQL on the store directly, as an older portdelta would have left it. */
async function withStore<T>(db: TestDb, url: string, fn: (q: (sql: string) => Promise<unknown[]>) => Promise<T>): Promise<T> {
  const store = await openDb(url, { migrate: false });
  try {
    return await fn(async (sql) => {
      const r = await store.knex.raw(sql);
      return db.kind === 'sqlite' ? (r as unknown[]) : (r as { rows: unknown[] }).rows;
    });
  } finally {
    await store.close();
  }
}

describe('readers on a store this user can only read', () => {
  const readers = (pol: string): string[][] => [['changes'], ['state', '--json'], ['hosts', '--json'], ['disagreements'], ['audit', '--policy', pol]];

  async function filledStore(dir: string): Promise<string> {
    const file = path.join(dir, 'portdelta.sqlite');
    const r = await cli(['--db', file, 'ingest', '--scanner', 'scan-in', NIGHT1]);
    expect(r.code).toBe(0);
    return file;
  }

  async function expectReadersWork(file: string, pol: string, opts: { uid?: number }): Promise<void> {
    const before = fs.readdirSync(path.dirname(file)).sort();
    for (const args of readers(pol)) {
      // Another user needs its own process.
      const r = opts.uid === undefined ? await cli(['--db', file, ...args]) : await spawnCli(['--db', file, ...args], opts);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      if (args[0] === 'state' || args[0] === 'hosts') expect((JSON.parse(r.stdout) as unknown[]).length).toBeGreaterThan(0);
    }
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(before);
  }

  test('a 0444 file in a 0555 folder owned by root, read as the user nobody', async () => {
    const dir = scratch();
    const file = await filledStore(dir);
    const pol = policy(scratch());
    fs.chmodSync(file, 0o444);
    fs.chmodSync(dir, 0o555);
    try {
      await expectReadersWork(file, pol, { uid: NOBODY });
      // And a writer is refused with the database's reason, not a silent success.
      const w = await spawnCli(['--db', file, 'ingest', '--scanner', 'scan-in', NIGHT1], { uid: NOBODY });
      expect(w.code).toBe(2);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });

  test('while a writer holds the database open with changes still in its -wal file, read as nobody', async () => {
    const dir = scratch();
    const file = await filledStore(dir);
    const writer = await openDb(`sqlite:${file}`);
    try {
      // Committed but not checkpointed: only the -wal file has it, so a reader that sees it reads the WAL.
      const gone = await writer.knex('port_state').where({ port: 22 }).del();
      expect(gone).toBeGreaterThan(0);
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      fs.chmodSync(file, 0o444);
      fs.chmodSync(dir, 0o555);
      const r = await spawnCli(['--db', file, 'state', '--json'], { uid: NOBODY });
      expect(r.code).toBe(0);
      const ports = (JSON.parse(r.stdout) as Array<{ port: number }>).map((p) => p.port);
      expect(ports.length).toBeGreaterThan(0);
      expect(ports).not.toContain(22);
    } finally {
      fs.chmodSync(dir, 0o755);
      await writer.close();
    }
  });

  const mountable = canMountTmpfs();
  (mountable === true ? test : test.skip)(
    `a store on a read-only tmpfs mount, read as root${mountable === true ? '' : ` (skipped: ${mountable})`}`,
    async () => {
      const dir = scratch();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
      try {
        const file = await filledStore(dir);
        execFileSync('mount', ['-o', 'remount,ro', dir]);
        await expectReadersWork(file, policy(scratch()), {});
      } finally {
        execFileSync('umount', [dir]);
      }
    },
  );
});

/** true, or why a tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN in a container). */
function canMountTmpfs(): true | string {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir]);
    return true;
  } catch (e) {
    return `cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
