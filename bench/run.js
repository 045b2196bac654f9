#!/usr/bin/env node
'use strict';
// The delta benchmark (issue 3): `npm run bench [-- options]`.
//
// For each size (10.0.0.0/16 and /12 by default) it generates three nights of a full-port TCP scan
// (bench/generate.js, deterministic, with the exact expected changes), then measures
//   parse      the nmap XML input agent alone over night2.xml
//   ingest 0   night0.xml into an EMPTY database: the first full load, everything new
//   ingest 1   night1.xml (changes relative to night 0)
//   ingest 2   night2.xml (changes relative to night 1; the headline figure)
// on SQLite and PostgreSQL, each in its own process run under /usr/bin/time (wall time, peak RSS,
// CPU), checks every ingest's reported changes against the model exactly, runs nmap's ndiff on
// night1.xml/night2.xml for comparison, prints the table and writes it into docs/benchmarks.md.
// Exit code: 0 all checks passed, 1 a correctness check failed or a step timed out, 2 the bench
// itself could not run.
//
// Options:
//   --sizes 16,12       network prefixes to run (10.0.0.0/N; 24, 22, 20 for quick runs)
//   --db sqlite,pg      databases
//   --pg URL            PostgreSQL server (default $PORTDELTA_BENCH_PG_URL, $PORTDELTA_TEST_PG_URL or
//                       postgres://postgres@127.0.0.1:5432/test); each run uses a fresh schema, dropped after
//   --out DIR           where the scan files go (default bench-out/; the /12 needs ~1.1 GB)
//   --keep              keep the generated files (they are reused by the next run when they match)
//   --seed N            generator seed (default 1)
//   --no-ndiff          skip ndiff
//   --profile [N]       also profile (node --cpu-prof) the night-2 ingest of size N (default: the
//                       smallest size run) on each database, in a separate untimed pass
//   --doc FILE          the document to update (default docs/benchmarks.md); --no-doc to leave it
//   --dist DIR          the compiled build to measure (default: a snapshot of dist/ taken at the start)
//   --step-timeout S    stop a parse or ingest that runs longer than S seconds (default 600): it is
//                       reported as timed out (a failure: its answer is unchecked) and that
//                       database's later nights are skipped
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { generate, reusable } = require('./generate');
const { diffRows, summaryCounts, sameCounts, describeDiff, maskName } = require('./compare');
const { summarise } = require('./cpuprofile');

const ROOT = path.resolve(__dirname, '..');
// The build under test: a snapshot of dist/ taken at the start (see snapshotDist), so that a
// rebuild by someone else during a long run cannot mix two versions into one table.
let DIST = path.join(ROOT, 'dist');
let BIN = path.join(DIST, 'bin', 'portdelta.js');
const TIME = '/usr/bin/time';
// Unique per run: ingest takes a PostgreSQL advisory lock on the scanner *name*, which is
// database-wide (not per schema), so another run or test ingesting a scanner called 'bench' into
// another schema of the same database would otherwise make this run wait, and its times lie.
const SCANNER = `bench-${process.pid}`;
const BEGIN = '<!-- bench:results:begin (written by bench/run.js; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

const TARGET = { parseMBs: 60, ratioSqlite: 0.25, ratioPg: 0.35, rssMb: 300, scale: 18 };

// ---------------------------------------------------------------------------------------------
// options

function parseArgs(argv) {
  const o = {
    sizes: [16, 12], dbs: ['sqlite', 'pg'], out: path.join(ROOT, 'bench-out'), keep: false, seed: 1, ndiff: true, profile: null,
    doc: path.join(ROOT, 'docs', 'benchmarks.md'),
    pg: process.env.PORTDELTA_BENCH_PG_URL || process.env.PORTDELTA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
    stepTimeout: 600,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--sizes') o.sizes = val().split(',').map((s) => Number(s.replace(/^\//, '')));
    else if (a === '--db') o.dbs = val().split(',').map((s) => (s === 'postgres' || s === 'postgresql' ? 'pg' : s));
    else if (a === '--pg') o.pg = val();
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--keep') o.keep = true;
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--no-ndiff') o.ndiff = false;
    else if (a === '--doc') o.doc = path.resolve(val());
    else if (a === '--no-doc') o.doc = null;
    else if (a === '--step-timeout') o.stepTimeout = Number(val());
    else if (a === '--dist') o.dist = path.resolve(val());
    else if (a === '--profile') o.profile = /^\d+$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 0;
    else if (a === '--help' || a === '-h') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(2); // after the shebang and 'use strict'
      const end = lines.findIndex((l) => !l.startsWith('//'));
      process.stdout.write(lines.slice(0, end).map((l) => l.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  for (const s of o.sizes) if (!Number.isInteger(s) || s < 8 || s > 30) throw new Error(`--sizes: '${s}' is not a prefix length 8..30`);
  for (const d of o.dbs) if (d !== 'sqlite' && d !== 'pg') throw new Error(`--db: '${d}' is neither sqlite nor pg`);
  if (!(o.stepTimeout > 0)) throw new Error('--step-timeout: give a number of seconds');
  if (o.profile === 0) o.profile = Math.max(...o.sizes);
  return o;
}

// ---------------------------------------------------------------------------------------------
// measuring a child process

const hasTime = fs.existsSync(TIME);

/**
 * Runs a command to its end: {code, wall (s), rssMb, cpu (s), stdout, stderr}. Wall time is taken
 * here (spawn to exit, so it includes start-up); peak RSS and CPU come from /usr/bin/time, or for
 * node children from bench/rss.js when /usr/bin/time is missing.
 */
function measure(cmd, args, { env = {}, cwd = ROOT, captureStdout = true, nodeChild = false, timeoutS = 0 } = {}) {
  const tmp = path.join(os.tmpdir(), `pd-bench-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  let argv;
  const childEnv = { ...process.env, PORTDELTA_DB: '', ...env };
  if (hasTime) argv = [TIME, ['-f', '%e %M %U %S', '-o', tmp, cmd, ...args]];
  else if (nodeChild) {
    argv = [cmd, ['-r', path.join(__dirname, 'rss.js'), ...args]];
    childEnv.BENCH_RSS_FILE = tmp;
  } else argv = [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // its own process group, so a timeout stops /usr/bin/time and the command it runs together
    const child = spawn(argv[0], argv[1], { cwd, env: childEnv, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'], detached: true });
    let timedOut = false;
    const timer = timeoutS > 0
      ? setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, timeoutS * 1000)
      : null;
    const out = [];
    let err = '';
    if (captureStdout) child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssMb = null, cpu = null;
      try {
        const text = fs.readFileSync(tmp, 'utf8');
        if (hasTime) {
          const line = text.trim().split('\n').pop().trim().split(/\s+/).map(Number);
          if (line.length === 4 && line.every(Number.isFinite)) {
            rssMb = line[1] / 1024;
            cpu = line[2] + line[3];
          }
        } else {
          const j = JSON.parse(text);
          rssMb = j.maxRssKb / 1024;
          cpu = j.userS + j.systemS;
        }
      } catch {
        /* no figures */
      }
      fs.rmSync(tmp, { force: true });
      resolve({ code: timedOut ? -1 : code, timedOut, wall, rssMb, cpu, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
    });
  });
}

function node(args, opts = {}) {
  return measure(process.execPath, args, { ...opts, nodeChild: true });
}

// ---------------------------------------------------------------------------------------------
// databases

let pg = null;
function pgModule() {
  pg ??= require('pg');
  return pg;
}

async function pgQuery(url, sql) {
  const c = new (pgModule().Client)({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * CPU seconds used so far by the PostgreSQL server when it runs on this machine: every live
 * postgres process, plus what the postmaster has reaped from ended backends (cutime/cstime).
 * null when it cannot be seen (remote server, no /proc).
 */
function pgServerCpu() {
  try {
    const hz = 100; // USER_HZ on Linux
    let ticks = 0;
    let seen = false;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres') continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
      const ppidComm = (() => {
        try {
          const ps = fs.readFileSync(`/proc/${f[1]}/stat`, 'utf8');
          return ps.slice(ps.indexOf('(') + 1, ps.lastIndexOf(')'));
        } catch {
          return '';
        }
      })();
      if (ppidComm !== 'postgres') ticks += Number(f[13]) + Number(f[14]); // the postmaster: reaped children
      seen = true;
    }
    return seen ? ticks / hz : null;
  } catch {
    return null;
  }
}

const isLocalPg = (url) => ['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(new URL(url).hostname);

function pgSchemaUrl(base, schema) {
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** A fresh database: {kind, url, drop()}. */
function freshDb(kind, opts, tag) {
  if (kind === 'sqlite') {
    const file = path.join(opts.out, `${tag}.sqlite`);
    const rm = () => {
      for (const f of [file, `${file}-journal`, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    };
    rm();
    return { kind, url: `sqlite:${file}`, drop: async () => rm() };
  }
  const schema = `bench_${tag}_${process.pid}`.replace(/[^a-z0-9_]/g, '_');
  const u = new URL(pgSchemaUrl(opts.pg, schema));
  // named, so that after a timeout the bench can end the server sessions its own killed children left
  u.searchParams.set('application_name', schema);
  return {
    kind,
    url: u.toString(),
    drop: async () => {
      await pgQuery(opts.pg, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${schema}'`);
      await pgQuery(opts.pg, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the run

const mb = (bytes) => bytes / 1e6;
const fmt = (n, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));
const fmtInt = (n) => (n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));

function loadExpected(dir, night) {
  return JSON.parse(fs.readFileSync(path.join(dir, night.expected), 'utf8'));
}

function configFile(dir) {
  const file = path.join(dir, 'portdelta.yaml');
  fs.writeFileSync(file, `# written by bench/run.js: the bench's scanner with the default thresholds, spelled out\nscanners:\n  ${SCANNER}:\n    open_after: 1\n    close_after: 1\n    down_after: 1\n`);
  return file;
}

async function changesJson(db, config, args) {
  const r = await node([BIN, '--db', db.url, '--config', config, '--json', 'changes', ...args]);
  if (r.code !== 0) throw new Error(`portdelta changes ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return { rows: JSON.parse(r.stdout), r };
}

/** Checks one ingest's summary and change rows against the model; returns {ok, problems[], lastId, checkWall}. */
async function checkNight(db, config, summary, exp, lastId) {
  const problems = [];
  if (!summary) return { ok: false, problems: ['no ingest summary'], lastId };
  if (summary.status !== 'applied') problems.push(`status ${summary.status}${summary.error ? `: ${summary.error}` : ''}`);
  if (summary.complete === false) problems.push('scan recorded as incomplete');
  if (summary.hosts_up !== exp.hosts_up) problems.push(`hosts_up ${summary.hosts_up}, expected ${exp.hosts_up}`);
  if (summary.ports_open !== exp.ports_open) problems.push(`ports_open ${summary.ports_open}, expected ${exp.ports_open}`);
  if (summary.change_count !== exp.change_count) problems.push(`change_count ${summary.change_count}, expected ${exp.change_count}`);
  const wantCounts = summaryCounts(exp.counts);
  if (!sameCounts(summary.changes ?? {}, wantCounts)) problems.push(`changes by type ${JSON.stringify(summary.changes)}, expected ${JSON.stringify(wantCounts)}`);
  let checkWall = 0;
  let rowsCompared = false;
  if (exp.rows && summary.status === 'applied') {
    // Night 0's rows are only fetched when the model kept them (small sizes); otherwise ids are
    // unknown after it, and night 1 is selected by its detection time instead.
    const args = lastId !== null ? ['--after-id', String(lastId)] : ['--since', exp.start];
    const { rows, r } = await changesJson(db, config, args);
    checkWall = r.wall;
    rowsCompared = true;
    const foreign = rows.filter((x) => x.scan_id !== summary.scan_id || x.scanner !== SCANNER);
    if (foreign.length) problems.push(`${foreign.length} change rows of another scan or scanner after this ingest (first: ${JSON.stringify(foreign[0])})`);
    const d = diffRows(exp.rows, rows);
    if (!d.ok) problems.push(`change rows differ from the model (${d.missing.length} missing, ${d.extra.length} unexpected):\n${describeDiff(d)}`);
    lastId = rows.reduce((m, x) => Math.max(m, x.id), lastId ?? 0);
  } else lastId = null;
  return { ok: problems.length === 0, problems, lastId, checkWall, rowsCompared };
}

async function runSize(size, opts, results, failures, profiles) {
  const dir = path.join(opts.out, `p${size}`);
  let manifest = reusable(dir, size, opts.seed);
  let genWall = null;
  if (manifest) log(`/${size}: reusing the files in ${path.relative(ROOT, dir)}`);
  else {
    log(`/${size}: generating three nights into ${path.relative(ROOT, dir)} …`);
    const t0 = process.hrtime.bigint();
    manifest = generate({ prefix: size, outDir: dir, seed: opts.seed });
    genWall = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = manifest.nights.reduce((s, n) => s + n.bytes, 0);
    log(`  ${fmt(mb(bytes), 1)} MB in ${fmt(genWall)} s (${fmt(mb(bytes) / genWall, 0)} MB/s)`);
  }
  const info = { size, manifest, genWall, parse: null, ndiff: null };
  const config = configFile(dir);
  const nights = manifest.nights;
  const obsOf = (n) => n.hosts_listed + n.ports_open;

  // parse-only
  const n2 = nights[2];
  const file2 = path.join(dir, n2.file);
  log(`/${size}: parse-only ${n2.file}`);
  const p = await node([path.join(__dirname, 'parse-only.js'), file2], { timeoutS: opts.stepTimeout, env: { BENCH_DIST: DIST } });
  let parseCheck = 'ok';
  let parseS = null;
  if (p.timedOut) parseCheck = `FAIL: timed out after ${opts.stepTimeout} s`;
  else if (p.code !== 0) parseCheck = `FAIL: exit ${p.code} ${p.stderr.trim().split('\n')[0]}`;
  else {
    const c = JSON.parse(p.stdout);
    parseS = c.seconds;
    if (c.hosts !== n2.hosts_listed || c.up !== n2.hosts_up || c.open !== n2.ports_open || !c.complete) {
      parseCheck = `FAIL: parsed ${JSON.stringify(c)}, expected ${n2.hosts_listed} hosts, ${n2.hosts_up} up, ${n2.ports_open} open, complete`;
    }
  }
  if (parseCheck !== 'ok') failures.push(`/${size} parse: ${parseCheck}`);
  info.parse = { ...p, bytes: n2.bytes, obs: obsOf(n2), parseS };
  results.push({ size, db: '-', step: 'parse night2', wall: p.wall, cpu: p.cpu, rssMb: p.rssMb, bytes: n2.bytes, obs: obsOf(n2), changes: null, check: parseCheck });
  log(`  ${fmt(p.wall)} s, ${fmt(mb(n2.bytes) / p.wall, 1)} MB/s (in-process ${fmt(parseS)} s, ${fmt(mb(n2.bytes) / parseS, 1)} MB/s), ${fmt(p.rssMb, 0)} MB RSS — ${parseCheck}`);

  // ingests
  for (const kind of opts.dbs) {
    const db = freshDb(kind, opts, `p${size}_${kind}`);
    try {
      let lastId = 0;
      for (const n of nights) {
        const exp = loadExpected(dir, n);
        const step = n.night === 0 ? 'ingest night0 (first load, empty DB)' : `ingest night${n.night}`;
        log(`/${size} ${kind}: ${step}`);
        const srv0 = kind === 'pg' && isLocalPg(opts.pg) ? pgServerCpu() : null;
        const r = await node([BIN, '--db', db.url, '--config', config, '--json', 'ingest', '--scanner', SCANNER, path.join(dir, n.file)], { timeoutS: opts.stepTimeout });
        if (r.timedOut) {
          const why = `timed out after ${opts.stepTimeout} s (--step-timeout): stopped, answer unchecked; later nights on ${kind} skipped`;
          failures.push(`/${size} ${kind} ${step}: ${why}`);
          results.push({ size, db: kind, step, night: n.night, wall: null, cpu: null, rssMb: r.rssMb, bytes: n.bytes, obs: obsOf(n), changes: null, check: `TIMEOUT (> ${opts.stepTimeout} s)`, timedOut: true, limit: opts.stepTimeout });
          log(`  ${why}`);
          break;
        }
        const srv1 = srv0 === null ? null : pgServerCpu();
        let summary = null;
        try {
          summary = JSON.parse(r.stdout)[0];
        } catch {
          /* reported below */
        }
        if (r.code !== 0 && !summary) summary = { status: 'failed', error: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}` };
        const c = await checkNight(db, config, summary, exp, exp.rows ? lastId : null);
        lastId = c.lastId;
        const check = c.ok ? (c.rowsCompared ? 'ok (rows exact)' : 'ok (counts)') : 'FAIL';
        if (!c.ok) failures.push(`/${size} ${kind} ${step}:\n  ${c.problems.join('\n  ')}`);
        results.push({
          size, db: kind, step, night: n.night, wall: r.wall, cpu: r.cpu, srvCpu: srv1 === null ? null : srv1 - srv0, rssMb: r.rssMb, bytes: n.bytes, obs: obsOf(n),
          changes: summary?.change_count ?? null, check, checkWall: c.checkWall,
        });
        log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS, ${fmtInt(summary?.change_count)} changes — ${check}${c.ok ? '' : `\n  ${c.problems.join('\n  ')}`}`);
        if (!c.ok && summary?.status !== 'applied') break;
      }
    } finally {
      await db.drop().catch((e) => log(`  could not drop the ${kind} database: ${e.message}`));
    }
  }

  // the profile: a separate, untimed pass so the timed figures carry no profiler overhead
  if (opts.profile === size) {
    for (const kind of opts.dbs) {
      const db = freshDb(kind, opts, `p${size}_${kind}_prof`);
      try {
        log(`/${size} ${kind}: profiling the night-2 ingest (night 0 and 1 loaded first, untimed)`);
        for (const n of nights.slice(0, 2)) {
          const r = await node([BIN, '--db', db.url, '--config', config, '--json', 'ingest', '--scanner', SCANNER, path.join(dir, n.file)]);
          if (r.code !== 0) throw new Error(`ingest ${n.file} for the profile exited ${r.code}: ${r.stderr.trim()}`);
        }
        const profDir = path.join(opts.out, 'profiles');
        fs.mkdirSync(profDir, { recursive: true });
        const name = `ingest-p${size}-night2-${kind}.cpuprofile`;
        fs.rmSync(path.join(profDir, name), { force: true });
        const sqlFile = path.join(profDir, name.replace(/\.cpuprofile$/, '.sql.json'));
        const r = await node(
          ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', name, '-r', path.join(__dirname, 'sql-profile.js'), BIN, '--db', db.url, '--config', config, '--json', 'ingest', '--scanner', SCANNER, file2],
          { env: { BENCH_SQL_PROFILE: sqlFile } },
        );
        if (r.code !== 0) throw new Error(`profiled ingest exited ${r.code}: ${r.stderr.trim()}`);
        const s = summarise(path.join(profDir, name), 20, DIST);
        let sql = [];
        try {
          sql = JSON.parse(fs.readFileSync(sqlFile, 'utf8'));
        } catch {
          /* no SQL timings */
        }
        profiles.push({ size, db: kind, file: path.join(profDir, name), wall: r.wall, cpu: r.cpu, sql, ...s });
      } catch (e) {
        log(`  profile failed: ${e.message}`);
      } finally {
        await db.drop().catch(() => undefined);
      }
    }
  }

  // ndiff on the same pair
  if (opts.ndiff) {
    const ndiff = whichNdiff();
    if (ndiff) {
      log(`/${size}: ndiff night1.xml night2.xml`);
      const r = await measure(ndiff, [path.join(dir, nights[1].file), path.join(dir, nights[2].file)], { captureStdout: false });
      // ndiff exits 0 (same) or 1 (differences); 2 is an error
      const ok = r.code === 0 || r.code === 1;
      info.ndiff = ok ? r : null;
      results.push({ size, db: '-', step: 'ndiff night1 night2', wall: r.wall, cpu: r.cpu, rssMb: r.rssMb, bytes: nights[1].bytes + nights[2].bytes, obs: obsOf(nights[1]) + obsOf(nights[2]), changes: null, check: ok ? '-' : `ndiff failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}` });
      log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS${ok ? '' : ` — exit ${r.code}`}`);
    } else log(`/${size}: ndiff is not installed (apt-get install ndiff): no comparison`);
  }
  return info;
}

function whichNdiff() {
  for (const p of ['/usr/bin/ndiff', '/usr/local/bin/ndiff']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v ndiff'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const log = (s) => process.stderr.write(`${s}\n`);

/**
 * Copies the build to bench-out/dist-<pid> (inside the project, so its requires still find
 * node_modules/) and measures that copy; --dist DIR measures DIR itself. Removed at the end.
 */
function snapshotDist(opts) {
  const src = opts.dist ?? path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(src, 'bin', 'portdelta.js'))) throw new Error(`${path.join(src, 'bin', 'portdelta.js')} is missing: run npm run build (npm run bench does)`);
  if (opts.dist) {
    DIST = src;
  } else {
    DIST = path.join(opts.out, `dist-${process.pid}`);
    fs.rmSync(DIST, { recursive: true, force: true });
    fs.cpSync(src, DIST, { recursive: true, filter: (f) => !f.endsWith('.map') });
    process.on('exit', () => fs.rmSync(DIST, { recursive: true, force: true }));
  }
  BIN = path.join(DIST, 'bin', 'portdelta.js');
  // what was measured: newest source file time and a digest of the compiled JS
  const hash = require('node:crypto').createHash('sha256');
  let newest = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.js')) {
        hash.update(f.slice(DIST.length)).update(fs.readFileSync(f));
        newest = Math.max(newest, fs.statSync(path.join(src, path.relative(DIST, f))).mtimeMs);
      }
    }
  };
  walk(DIST);
  opts.build = { from: src, digest: hash.digest('hex').slice(0, 12), builtAt: new Date(newest).toISOString() };
}

// ---------------------------------------------------------------------------------------------
// the machine

function sh(cmd) {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function machine(opts) {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const m = {
    date: new Date().toISOString(),
    cpus: sh('nproc') || String(os.cpus().length),
    cpu,
    memory: sh("free -h | awk '/^Mem:/ {print $2 \" total, \" $7 \" available\"}'") || `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: (fs.existsSync('/etc/os-release') ? (fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m) ?? [])[1] : null) ?? `${os.type()} ${os.release()}`,
    kernel: os.release(),
    node: process.version,
    sqlite: null,
    postgres: null,
    ndiff: sh("dpkg-query -W -f '${Version}' ndiff") || (whichNdiff() ? 'installed' : 'not installed'),
    time: hasTime ? `${TIME} (GNU time ${sh("dpkg-query -W -f '${Version}' time") || sh(`${TIME} --version 2>&1 | head -n 1`)})` : 'not installed: peak RSS of node children from process.resourceUsage() (bench/rss.js); ndiff RSS unknown',
    disk: sh(`df -h ${JSON.stringify(opts.out)} | awk 'NR==2 {print $1 " " $2}'`),
    loadStart: os.loadavg(),
    loadEnd: null,
  };
  try {
    m.sqlite = require(path.join(ROOT, 'node_modules', 'sqlite3')).VERSION;
  } catch {
    /* unknown */
  }
  if (opts.dbs.includes('pg')) {
    try {
      m.postgres = (await pgQuery(opts.pg, 'SHOW server_version')).rows[0].server_version;
    } catch (e) {
      m.postgres = `unreachable (${e.message})`;
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// the report

function resultsTable(results) {
  const head = ['size', 'db', 'step', 'wall s', 'CPU s', 'server CPU s', 'peak RSS MB', 'obs/s', 'MB/s', 'changes', 'check'];
  const rows = results.map((r) => [
    `/${r.size}`, r.db === 'pg' ? 'PostgreSQL' : r.db === 'sqlite' ? 'SQLite' : '-', r.step,
    r.timedOut ? `> ${r.limit}` : fmt(r.wall), fmt(r.cpu), r.srvCpu == null ? '-' : fmt(r.srvCpu), fmt(r.rssMb, 0),
    r.timedOut ? `< ${fmtInt(r.obs / r.limit)}` : fmtInt(r.obs / r.wall), r.timedOut ? `< ${fmt(mb(r.bytes) / r.limit, 1)}` : fmt(mb(r.bytes) / r.wall, 1),
    r.changes === null ? '-' : fmtInt(r.changes), r.check,
  ]);
  return { head, rows };
}

function markdownTable({ head, rows }) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function textTable({ head, rows }) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** [{target, measured, met}] */
function targets(results, sizes, infos) {
  const out = [];
  const find = (size, db, night) => results.find((r) => r.size === size && r.db === db && r.night === night);
  // parse
  for (const i of infos) {
    if (!i.parse || i.parse.code !== 0 || !i.parse.parseS) continue;
    // the parser's throughput: timed inside the process, so a fixed start-up does not hide it at small sizes
    const v = mb(i.parse.bytes) / i.parse.parseS;
    const w = mb(i.parse.bytes) / i.parse.wall;
    out.push({ target: `parse ≥ ${TARGET.parseMBs} MB/s (/${i.size})`, measured: `${fmt(v, 1)} MB/s parsing (${fmt(i.parse.parseS)} s); ${fmt(w, 1)} MB/s counting process start-up (${fmt(i.parse.wall)} s)`, met: v >= TARGET.parseMBs });
  }
  // night 2 vs ndiff
  for (const i of infos) {
    if (!i.ndiff) continue;
    for (const db of ['sqlite', 'pg']) {
      const r = find(i.size, db, 2);
      if (!r) continue;
      const limit = db === 'sqlite' ? TARGET.ratioSqlite : TARGET.ratioPg;
      const name = `night-2 ingest ≤ ${limit} × ndiff, ${db === 'pg' ? 'PostgreSQL' : 'SQLite'} (/${i.size})`;
      const suffix = i.size === 12 ? '' : ' — the target is set for the /12';
      if (r.timedOut) {
        out.push({ target: name + suffix, measured: `> ${fmt(r.limit / i.ndiff.wall, 1)} × (timed out after ${r.limit} s vs ${fmt(i.ndiff.wall)} s)`, met: i.size === 12 ? false : null });
        continue;
      }
      const ratio = r.wall / i.ndiff.wall;
      out.push({ target: name + suffix, measured: `${fmt(ratio, 3)} × (${fmt(r.wall)} s vs ${fmt(i.ndiff.wall)} s)`, met: i.size === 12 ? ratio <= limit : null, ratio });
    }
  }
  // RSS
  const own = results.filter((r) => r.db !== '-' || r.step.startsWith('parse'));
  if (own.length) {
    const worst = own.reduce((a, b) => ((b.rssMb ?? 0) > (a.rssMb ?? 0) ? b : a));
    out.push({ target: `peak RSS ≤ ${TARGET.rssMb} MB (every parse and ingest process, all sizes)`, measured: `${fmt(worst.rssMb, 0)} MB (/${worst.size} ${worst.db} ${worst.step})`, met: worst.rssMb !== null && worst.rssMb <= TARGET.rssMb });
  }
  // scaling: 16 × the work costs ≤ 18 × the time
  for (const small of sizes) {
    const big = small - 4;
    if (!sizes.includes(big)) continue;
    const pairs = [['-', 'parse night2', 'parse']];
    for (const db of ['sqlite', 'pg']) for (const k of [0, 1, 2]) pairs.push([db, k, `${db === 'pg' ? 'PostgreSQL' : 'SQLite'} ingest night${k}`]);
    for (const [db, step, label] of pairs) {
      const a = typeof step === 'number' ? find(small, db, step) : results.find((r) => r.size === small && r.step === step);
      const b = typeof step === 'number' ? find(big, db, step) : results.find((r) => r.size === big && r.step === step);
      if (!a || !b || a.timedOut) continue;
      if (b.timedOut) {
        out.push({ target: `16 × the work ≤ ${TARGET.scale} × the time: ${label} /${big} vs /${small}`, measured: `> ${fmt(b.limit / a.wall, 1)} × (timed out)`, met: false });
        continue;
      }
      const f = b.wall / a.wall;
      out.push({ target: `16 × the work ≤ ${TARGET.scale} × the time: ${label} /${big} vs /${small}`, measured: `${fmt(f, 2)} × (${fmt(b.wall)} s vs ${fmt(a.wall)} s)`, met: f <= TARGET.scale });
    }
  }
  return out;
}

function report(opts, argv, m, infos, results, failures, profiles, totalWall) {
  const t = resultsTable(results);
  const tg = targets(results, opts.sizes, infos);
  const yes = (v) => (v === null ? '(informative)' : v ? 'met' : '**not met**');
  const L = [];
  L.push(BEGIN);
  L.push('');
  L.push(`Command: \`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\` — ${m.date}, whole run ${fmt(totalWall / 60000, 1)} min.`);
  L.push('');
  L.push('### Machine');
  L.push('');
  L.push('| | |');
  L.push('|---|---|');
  L.push(`| CPU | ${m.cpus} × ${m.cpu} |`);
  L.push(`| memory | ${m.memory} |`);
  L.push(`| OS | ${m.os} (kernel ${m.kernel}) |`);
  L.push(`| Node.js | ${m.node} |`);
  if (opts.dbs.includes('sqlite')) L.push(`| SQLite | ${m.sqlite ?? 'unknown'} (node-sqlite3, database file on ${m.disk || 'local disk'}) |`);
  if (opts.dbs.includes('pg')) L.push(`| PostgreSQL | ${m.postgres} (same machine, over TCP 127.0.0.1) |`);
  L.push(`| ndiff | ${m.ndiff} |`);
  L.push(`| build measured | ${path.relative(ROOT, opts.build.from) || '.'}/ compiled ${opts.build.builtAt}, JS digest ${opts.build.digest}${opts.dist ? '' : ' (a copy taken at the start of the run)'} |`);
  L.push(`| measured with | ${m.time} |`);
  const la = (l) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
  L.push(`| load average (1/5/15 min) | at the start ${la(m.loadStart)}, at the end ${la(m.loadEnd)}${m.loadStart[0] > 0.5 ? ' — **other work was running: the figures are disturbed**' : ''} |`);
  L.push('');
  L.push('### Sizes');
  L.push('');
  L.push('| network | addresses listed | night | hosts up | open ports | file | expected changes |');
  L.push('|---|---|---|---|---|---|---|');
  for (const i of infos) {
    for (const n of i.manifest.nights) {
      const counts = Object.entries(n.counts).sort((a, b) => a[0] - b[0]).map(([k, v]) => `${fmtInt(v)} ${maskName(Number(k))} (${k})`).join(', ');
      L.push(`| ${i.manifest.network} | ${fmtInt(n.hosts_listed)} | night${n.night} | ${fmtInt(n.hosts_up)} | ${fmtInt(n.ports_open)} | ${fmt(mb(n.bytes), 1)} MB | ${fmtInt(n.change_count)}: ${counts} |`);
    }
  }
  L.push('');
  L.push('### Results');
  L.push('');
  L.push(markdownTable(t));
  L.push('');
  L.push('wall = spawn to exit of the process, start-up included; CPU = user + system time of that process (SQLite runs inside it); server CPU = CPU time the local PostgreSQL server\'s processes used meanwhile (anything else it served too); peak RSS = of that process only (not the PostgreSQL server); obs = addresses listed + open ports listed in the file(s); MB = 10⁶ bytes of XML.');
  L.push('"ingest night0" loads night0.xml into an empty database (the first full load: every host and port is new).');
  L.push('"rows exact" = the full set of change rows of that ingest (`changes --json`) equals the model\'s, field by field; "counts" = the per-type counts, hosts up and open ports equal the model\'s (night 0 of sizes above /16, whose 1.2 M rows are not fetched).');
  L.push('');
  L.push('### Targets (issue 3)');
  L.push('');
  L.push('| target | measured | |');
  L.push('|---|---|---|');
  for (const x of tg) L.push(`| ${x.target} | ${x.measured} | ${yes(x.met)} |`);
  L.push('');
  L.push(`Correctness: ${failures.length === 0 ? 'every check passed.' : `**${failures.length} check(s) failed**:`}`);
  if (failures.length) {
    L.push('');
    L.push('```');
    for (const f of failures) L.push(f);
    L.push('```');
  }
  if (profiles.length) {
    L.push('');
    L.push('### Profile of the night-2 ingest');
    L.push('');
    for (const p of profiles) {
      L.push(`\`node --cpu-prof\` of the /${p.size} night-2 ingest on ${p.db === 'pg' ? 'PostgreSQL' : 'SQLite'} (separate untimed pass; ${fmt(p.wall)} s wall with the profiler, ${fmt(p.cpu)} s CPU of the node process; ${fmt(p.totalMs / 1000)} s sampled on the main thread). Top self time:`);
      L.push('');
      L.push('| self ms | % | function | where |');
      L.push('|---|---|---|---|');
      for (const r of p.rows) L.push(`| ${fmt(r.ms, 0)} | ${fmt(r.pct, 1)} | ${r.name.replace(/\|/g, '\\|')} | ${r.where} |`);
      L.push('');
      if (p.sql.length) {
        const total = p.sql.reduce((a, x) => a + x.ms, 0);
        L.push(`Statements of that ingest by total time (knex call to answer, bench/sql-profile.js; ${fmt(total / 1000)} s in all):`);
        L.push('');
        L.push('| total ms | calls | statement |');
        L.push('|---|---|---|');
        for (const x of p.sql.slice(0, 12)) L.push(`| ${fmt(x.ms, 0)} | ${x.calls} | \`${sqlShort(x.sql)}\` |`);
        L.push('');
      }
    }
    L.push('"(idle)" is the main thread waiting: for SQLite, on node-sqlite3\'s worker thread running the statements; for PostgreSQL, on the server.');
  }
  L.push('');
  L.push(END);
  return { text: L.join('\n'), table: textTable(t), targets: tg };
}

/** A statement shape short enough for a table cell. */
function sqlShort(sql, max = 220) {
  const s = sql.replace(/`/g, "'").replace(/\|/g, '\\|');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const DOC_HEAD = `# Benchmarks

\`npm run bench\` measures portdelta's delta pipeline on generated full-port scans and checks the
answer exactly; see bench/run.js for the options. The section between the markers below is
rewritten by every run.

`;

function writeDoc(file, block) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : DOC_HEAD + `${BEGIN}\n${END}\n`;
  const a = text.indexOf(BEGIN.slice(0, 30));
  const b = text.indexOf(END);
  if (a < 0 || b < 0) text = `${text.trimEnd()}\n\n${block}\n`;
  else text = text.slice(0, a) + block + text.slice(b + END.length);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  fs.mkdirSync(opts.out, { recursive: true });
  snapshotDist(opts);
  if (opts.dbs.includes('pg')) {
    try {
      await pgQuery(opts.pg, 'SELECT 1');
    } catch (e) {
      throw new Error(`PostgreSQL is not reachable at ${opts.pg} (${e.message}): start it, give --pg URL, or run with --db sqlite`);
    }
  }
  if (os.loadavg()[0] > 0.5) log(`note: load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: other work is running, the figures will be disturbed`);
  if (!hasTime) log(`note: ${TIME} is missing (apt-get install time): RSS of node children comes from bench/rss.js, ndiff's is unknown`);
  const t0 = Date.now();
  const m = await machine(opts);
  const results = [];
  const failures = [];
  const profiles = [];
  const infos = [];
  const sizes = [...opts.sizes].sort((a, b) => b - a); // small first
  try {
    for (const size of sizes) infos.push(await runSize(size, opts, results, failures, profiles));
  } finally {
    if (!opts.keep) {
      for (const size of sizes) fs.rmSync(path.join(opts.out, `p${size}`), { recursive: true, force: true });
    }
  }
  m.loadEnd = os.loadavg();
  const r = report(opts, argv, m, infos, results, failures, profiles, Date.now() - t0);
  process.stdout.write(`\n${r.table}\n\n`);
  for (const x of r.targets) process.stdout.write(`${x.met === null ? 'info' : x.met ? 'met ' : 'MISS'}  ${x.target}: ${x.measured}\n`);
  for (const p of profiles) {
    process.stdout.write(`\nprofile /${p.size} night2 ingest on ${p.db} (${p.file}):\n`);
    for (const row of p.rows) process.stdout.write(`${fmt(row.ms, 0).padStart(8)} ms ${fmt(row.pct, 1).padStart(5)} %  ${row.name}  ${row.where}\n`);
    if (p.sql.length) process.stdout.write('statements by total time:\n');
    for (const x of p.sql.slice(0, 12)) process.stdout.write(`${fmt(x.ms, 0).padStart(8)} ms ${String(x.calls).padStart(6)} ×  ${sqlShort(x.sql)}\n`);
  }
  if (opts.doc) {
    writeDoc(opts.doc, r.text);
    process.stdout.write(`\nwritten to ${path.relative(ROOT, opts.doc)}\n`);
  }
  if (failures.length) {
    process.stdout.write(`\nCORRECTNESS CHECK FAILED (${failures.length}):\n${failures.join('\n')}\n`);
    return 1;
  }
  process.stdout.write('\ncorrectness: every check passed\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${process.env.BENCH_DEBUG ? err.stack : err.message || err}\n`);
    process.exit(2);
  },
);
