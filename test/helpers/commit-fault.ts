// Real commit-time failures for the tests of issue 11 ("never a false applied"):
// - SQLite: the database on a small tmpfs this test mounts, filled up to a few KiB, so that the
//   write-ahead log cannot take the transaction's pages when it commits (runs as root; elsewhere
//   the tests are skipped with the reason in their title);
// - PostgreSQL: a deferred constraint trigger in the test's schema that raises at COMMIT.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import type { TestDb } from './db';

/** What SQLite's shared-memory index (32 KiB) and no more than one log page of 4 KiB leave room for. */
const LEFT_FREE = 36 * 1024;

/** A tmpfs mounted for this test file, or why there is none. */
export class SmallDisk {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-full-'));
  readonly problem: string | null;
  private readonly filler = path.join(this.dir, 'filler');

  constructor(sizeMiB = 4) {
    let problem: string | null = null;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', this.dir], { stdio: 'pipe' });
    } catch (e) {
      problem = `cannot mount a tmpfs here: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim() || 'mount failed'}`;
    }
    this.problem = problem;
  }

  /** Fills the file system, then gives back `leave` bytes. */
  fill(leave = LEFT_FREE): void {
    const fd = fs.openSync(this.filler, 'a');
    const block = Buffer.alloc(64 * 1024);
    try {
      for (;;) fs.writeSync(fd, block);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    }
    try {
      for (;;) fs.writeSync(fd, block, 0, 4096);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      fs.closeSync(fd);
    }
    fs.truncateSync(this.filler, Math.max(0, fs.statSync(this.filler).size - leave));
  }

  free(): void {
    fs.rmSync(this.filler, { force: true });
  }

  unmount(): void {
    if (!this.problem) execFileSync('umount', [this.dir], { stdio: 'pipe' });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const schemaOf = (url: string) => new URL(url).searchParams.get('schema')!;
const pgClient = async (): Promise<Client> => {
  const c = new Client({ connectionString: process.env.PORTDELTA_TEST_PG_URL });
  await c.connect();
  return c;
};

/** Every commit that wrote `table` (rows matching `when`, a trigger WHEN condition) is refused. */
async function refuseCommits(url: string, table: string, when = 'true', events = 'INSERT OR UPDATE OR DELETE'): Promise<void> {
  const s = schemaOf(url);
  const c = await pgClient();
  try {
    await c.query(`CREATE OR REPLACE FUNCTION "${s}".pd_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit by the test''s trigger on %', TG_TABLE_NAME; END $$`);
    await c.query(`CREATE CONSTRAINT TRIGGER pd_refuse AFTER ${events} ON "${s}".${table}
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION "${s}".pd_refuse()`);
  } finally {
    await c.end();
  }
}

async function allowCommits(url: string, table: string): Promise<void> {
  const c = await pgClient();
  try {
    await c.query(`DROP TRIGGER IF EXISTS pd_refuse ON "${schemaOf(url)}".${table}`);
  } finally {
    await c.end();
  }
}

/**
 * One way to break the commits of a path, per database: `url` is a fresh database (on the small disk
 * for SQLite); `arm` makes commits fail (a full disk; the trigger on `table`), `disarm` undoes it.
 */
export interface CommitFault {
  url: string;
  arm(table: string, when?: string, events?: string): Promise<void>;
  disarm(table: string): Promise<void>;
}

export function commitFault(db: TestDb, disk: SmallDisk, name: string): CommitFault {
  if (db.kind === 'sqlite') {
    return {
      url: `sqlite:${path.join(disk.dir, `${name}.sqlite`)}`,
      arm: async () => disk.fill(),
      disarm: async () => disk.free(),
    };
  }
  const url = db.fresh();
  return { url, arm: (table, when, events) => refuseCommits(url, table, when, events), disarm: (table) => allowCommits(url, table) };
}

/** The one-line cause each database gives. */
export const causeOf = (db: TestDb, disk: SmallDisk): RegExp =>
  db.kind === 'sqlite'
    ? new RegExp(`disk full: \\d+ bytes free on the file system of ${disk.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
    : /refused at commit by the test's trigger on \w+/;
