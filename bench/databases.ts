// The databases the bench ingests into: a fresh SQLite file or PostgreSQL schema per run, dropped
// after; and the local PostgreSQL server's CPU time, which the ingest's own figures cannot show.
import fs from 'node:fs';
import path from 'node:path';
import { Client, type QueryResult, type QueryResultRow } from 'pg';
import type { DbKind } from './options';

export interface BenchDb {
  kind: DbKind;
  /** What `portdelta --db` gets. */
  url: string;
  drop(): Promise<void>;
}

export async function pgQuery<R extends QueryResultRow = QueryResultRow>(url: string, sql: string): Promise<QueryResult<R>> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await c.query<R>(sql);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The command name and the fields after it of /proc/PID/stat, or null when it is gone. */
function procStat(pid: string): { comm: string; fields: string[] } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the name is between the first '(' and the last ')': it may itself hold spaces or ')'
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { comm, fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') }; // fields[0] is field 3 (state)
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by the PostgreSQL server when it runs on this machine: every live
 * postgres process, plus what the postmaster has reaped from ended backends (cutime/cstime).
 * null when it cannot be seen (remote server, no /proc).
 */
export function pgServerCpu(): number | null {
  try {
    const hz = 100; // USER_HZ on Linux
    let ticks = 0;
    let seen = false;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const s = procStat(pid);
      if (!s || s.comm !== 'postgres') continue;
      const f = s.fields;
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
      // the postmaster (its parent is not postgres) also holds its reaped children's time
      if (procStat(f[1])?.comm !== 'postgres') ticks += Number(f[13]) + Number(f[14]);
      seen = true;
    }
    return seen ? ticks / hz : null;
  } catch {
    return null;
  }
}

export const isLocalPg = (url: string): boolean => ['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(new URL(url).hostname);

function freshSqlite(out: string, tag: string): BenchDb {
  const file = path.join(out, `${tag}.sqlite`);
  const rm = (): void => {
    for (const f of [file, `${file}-journal`, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  };
  rm();
  return { kind: 'sqlite', url: `sqlite:${file}`, drop: async () => rm() };
}

function freshPg(base: string, tag: string): BenchDb {
  const schema = `bench_${tag}_${process.pid}`.replace(/[^a-z0-9_]/g, '_');
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  // named, so that after a timeout the bench can end the server sessions its own killed children left
  u.searchParams.set('application_name', schema);
  return {
    kind: 'pg',
    url: u.toString(),
    drop: async () => {
      // the schema name is [a-z0-9_] only (see above): safe to write into the statement
      await pgQuery(base, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${schema}'`);
      await pgQuery(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** A fresh, empty database of that kind for one run; `tag` makes its name. */
export function freshDb(kind: DbKind, opts: { out: string; pg: string }, tag: string): BenchDb {
  return kind === 'sqlite' ? freshSqlite(opts.out, tag) : freshPg(opts.pg, tag);
}
