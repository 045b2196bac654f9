// Preloaded (node -r dist/bench/sql-profile.js) into a profiled ingest: times every statement knex
// runs, from the call to its answer, grouped by statement shape (multi-row VALUES lists folded),
// and writes [{sql, calls, ms}] to $BENCH_SQL_PROFILE at exit. The CPU profile shows the main
// thread idle while the database works; this says which statements it was waiting for.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from './common';

/** One statement shape's total, as the report reads it back. */
export interface SqlStat {
  sql: string;
  calls: number;
  ms: number;
}

/** The one method of knex's (untyped, internal) Runner that every statement goes through. */
interface KnexRunner {
  prototype: { query(this: unknown, obj: { sql?: unknown } | undefined): Promise<unknown> };
}

const PARAMS = /\((?:\s*(?:\$\d+|\?)\s*,)*\s*(?:\$\d+|\?)\s*\)(?:\s*,\s*\((?:\s*(?:\$\d+|\?)\s*,)*\s*(?:\$\d+|\?)\s*\))+/g;
// knex writes SQLite multi-row inserts as `select ? as a, ? as b union all select ? as a, …`
const UNION = /(?:\s+union all select\s+\?\s+as\s+[`"]?\w+[`"]?(?:\s*,\s*\?\s+as\s+[`"]?\w+[`"]?)*)+/gi;
const shape = (sql: unknown): string => String(sql).replace(PARAMS, '(…), …').replace(UNION, ' union all select …').replace(/\s+/g, ' ').trim();

function install(out: string): void {
  // knex as the ingest resolves it (the project's node_modules), not a copy next to dist/
  const load = createRequire(`${ROOT}/`);
  const Runner = load(load.resolve('knex/lib/execution/runner')) as KnexRunner;
  const stats = new Map<string, SqlStat>();
  const original = Runner.prototype.query;
  Runner.prototype.query = function timedQuery(obj) {
    const t0 = process.hrtime.bigint();
    const done = (): void => {
      const k = shape(obj && obj.sql);
      const s = stats.get(k) ?? { sql: k, calls: 0, ms: 0 };
      s.calls++;
      s.ms += Number(process.hrtime.bigint() - t0) / 1e6;
      stats.set(k, s);
    };
    const p = original.call(this, obj);
    // timing only: the caller still gets (and handles) the original promise
    p.then(done, done);
    return p;
  };
  process.on('exit', () => {
    fs.writeFileSync(out, JSON.stringify([...stats.values()].sort((a, b) => b.ms - a.ms)));
  });
}

const target = process.env.BENCH_SQL_PROFILE;
if (target) install(target);
