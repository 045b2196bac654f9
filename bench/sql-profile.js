'use strict';
// Preloaded (node -r bench/sql-profile.js) into a profiled ingest: times every statement knex
// runs, from the call to its answer, grouped by statement shape (multi-row VALUES lists folded),
// and writes [{sql, calls, ms}] to $BENCH_SQL_PROFILE at exit. The CPU profile shows the main
// thread idle while the database works; this says which statements it was waiting for.
const fs = require('node:fs');
const path = require('node:path');

const out = process.env.BENCH_SQL_PROFILE;
if (out) {
  const Runner = require(require.resolve('knex/lib/execution/runner', { paths: [path.resolve(__dirname, '..')] }));
  const stats = new Map();
  const PARAMS = /\((?:\s*(?:\$\d+|\?)\s*,)*\s*(?:\$\d+|\?)\s*\)(?:\s*,\s*\((?:\s*(?:\$\d+|\?)\s*,)*\s*(?:\$\d+|\?)\s*\))+/g;
  // knex writes SQLite multi-row inserts as `select ? as a, ? as b union all select ? as a, …`
  const UNION = /(?:\s+union all select\s+\?\s+as\s+[`"]?\w+[`"]?(?:\s*,\s*\?\s+as\s+[`"]?\w+[`"]?)*)+/gi;
  const shape = (sql) => String(sql).replace(PARAMS, '(…), …').replace(UNION, ' union all select …').replace(/\s+/g, ' ').trim();
  const original = Runner.prototype.query;
  Runner.prototype.query = function timedQuery(obj) {
    const t0 = process.hrtime.bigint();
    const done = () => {
      const k = shape(obj && obj.sql);
      const s = stats.get(k) ?? { sql: k, calls: 0, ms: 0 };
      s.calls++;
      s.ms += Number(process.hrtime.bigint() - t0) / 1e6;
      stats.set(k, s);
    };
    const p = original.call(this, obj);
    p.then(done, done);
    return p;
  };
  process.on('exit', () => {
    fs.writeFileSync(out, JSON.stringify([...stats.values()].sort((a, b) => b.ms - a.ms)));
  });
}
