// One size of the bench: generate (or reuse) its three nights, time the parse and every ingest
// on each database, check each against the model, then the optional profile and ndiff.
import fs from 'node:fs';
import path from 'node:path';
import type { Build } from './build';
import { checkNight, type IngestSummary } from './check-night';
import { dashboardStep } from './dashboard';
import { ROOT, SCANNER, log, messageOf } from './common';
import { freshDb, isLocalPg, pgServerCpu, type BenchDb } from './databases';
import { fmt, fmtInt, mb, obsOf } from './format';
import { generate, reusable, type Expected, type Manifest, type NightInfo } from './generate';
import { node } from './measure';
import { runNdiff } from './ndiff';
import type { Options } from './options';
import type { ParseCounts } from './parse-only';
import { profileSize } from './profile';
import type { ParseInfo, RunState, SizeInfo } from './results';

/** One size's files and the build they are measured with. */
interface SizeRun {
  size: number;
  dir: string;
  config: string;
  nights: NightInfo[];
  build: Build;
  opts: Options;
  state: RunState;
}

function loadExpected(dir: string, night: NightInfo): Expected {
  return JSON.parse(fs.readFileSync(path.join(dir, night.expected), 'utf8')) as Expected;
}

function configFile(dir: string): string {
  const file = path.join(dir, 'portdelta.yaml');
  fs.writeFileSync(file, `# written by the bench (bench/run-size.ts): the bench's scanner with the default thresholds, spelled out\nscanners:\n  ${SCANNER}:\n    open_after: 1\n    close_after: 1\n    down_after: 1\n`);
  return file;
}

/** The size's three nights: reused from an earlier --keep run when they match, else generated. */
function scansFor(size: number, dir: string, opts: Options): { manifest: Manifest; genWall: number | null } {
  const manifest = reusable(dir, size, opts.seed);
  if (manifest) {
    log(`/${size}: reusing the files in ${path.relative(ROOT, dir)}`);
    return { manifest, genWall: null };
  }
  log(`/${size}: generating three nights into ${path.relative(ROOT, dir)} …`);
  const t0 = process.hrtime.bigint();
  const made = generate({ prefix: size, outDir: dir, seed: opts.seed });
  const genWall = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = made.nights.reduce((s, n) => s + n.bytes, 0);
  log(`  ${fmt(mb(bytes), 1)} MB in ${fmt(genWall)} s (${fmt(mb(bytes) / genWall, 0)} MB/s)`);
  return { manifest: made, genWall };
}

/** The parse step's verdict: 'ok', or 'FAIL: …' with what differed. */
function parseVerdict(s: SizeRun, code: number | null, timedOut: boolean, stdout: string, stderr: string): { check: string; parseS: number | null } {
  const n2 = s.nights[2];
  if (timedOut) return { check: `FAIL: timed out after ${s.opts.stepTimeout} s`, parseS: null };
  if (code !== 0) return { check: `FAIL: exit ${code} ${stderr.trim().split('\n')[0]}`, parseS: null };
  const c = JSON.parse(stdout) as ParseCounts;
  if (c.hosts !== n2.hosts_listed || c.up !== n2.hosts_up || c.open !== n2.ports_open || !c.complete) {
    return { check: `FAIL: parsed ${JSON.stringify(c)}, expected ${n2.hosts_listed} hosts, ${n2.hosts_up} up, ${n2.ports_open} open, complete`, parseS: c.seconds };
  }
  return { check: 'ok', parseS: c.seconds };
}

/** parse-only over night2.xml, in its own process, with the build under test's input agent. */
async function parseStep(s: SizeRun): Promise<ParseInfo> {
  const n2 = s.nights[2];
  log(`/${s.size}: parse-only ${n2.file}`);
  const p = await node([path.join(__dirname, 'parse-only.js'), path.join(s.dir, n2.file)], { timeoutS: s.opts.stepTimeout, env: { BENCH_DIST: s.build.dist } });
  const { check, parseS } = parseVerdict(s, p.code, p.timedOut, p.stdout, p.stderr);
  if (check !== 'ok') s.state.failures.push(`/${s.size} parse: ${check}`);
  s.state.results.push({ size: s.size, db: '-', step: 'parse night2', wall: p.wall, cpu: p.cpu, rssMb: p.rssMb, bytes: n2.bytes, obs: obsOf(n2), changes: null, check });
  log(`  ${fmt(p.wall)} s, ${fmt(mb(n2.bytes) / p.wall, 1)} MB/s (in-process ${fmt(parseS)} s, ${fmt(parseS === null ? null : mb(n2.bytes) / parseS, 1)} MB/s), ${fmt(p.rssMb, 0)} MB RSS — ${check}`);
  return { ...p, bytes: n2.bytes, obs: obsOf(n2), parseS };
}

/** The ingest's JSON summary; a crashed ingest without one becomes a 'failed' summary. */
function summaryOf(code: number | null, stdout: string, stderr: string): IngestSummary | null {
  let summary: IngestSummary | null = null;
  try {
    summary = (JSON.parse(stdout) as IngestSummary[])[0];
  } catch {
    /* reported below */
  }
  if (code !== 0 && !summary) summary = { status: 'failed', error: `exit ${code}: ${stderr.trim().split('\n').slice(0, 3).join(' ')}` };
  return summary;
}

/** One timed, checked ingest. Returns false when the later nights on this database make no sense. */
async function ingestNight(s: SizeRun, db: BenchDb, n: NightInfo, last: { id: number | null }): Promise<boolean> {
  const { size, opts, state } = s;
  const kind = db.kind;
  const exp = loadExpected(s.dir, n);
  const step = n.night === 0 ? 'ingest night0 (first load, empty DB)' : `ingest night${n.night}`;
  log(`/${size} ${kind}: ${step}`);
  const srv0 = kind === 'pg' && isLocalPg(opts.pg) ? pgServerCpu() : null;
  const r = await node([s.build.bin, '--db', db.url, '--config', s.config, '--json', 'ingest', '--scanner', SCANNER, path.join(s.dir, n.file)], { timeoutS: opts.stepTimeout });
  if (r.timedOut) {
    const why = `timed out after ${opts.stepTimeout} s (--step-timeout): stopped, answer unchecked; later nights on ${kind} skipped`;
    state.failures.push(`/${size} ${kind} ${step}: ${why}`);
    state.results.push({ size, db: kind, step, night: n.night, wall: null, cpu: null, rssMb: r.rssMb, bytes: n.bytes, obs: obsOf(n), changes: null, check: `TIMEOUT (> ${opts.stepTimeout} s)`, timedOut: true, limit: opts.stepTimeout });
    log(`  ${why}`);
    return false;
  }
  const srv1 = srv0 === null ? null : pgServerCpu();
  const summary = summaryOf(r.code, r.stdout, r.stderr);
  const c = await checkNight({ bin: s.build.bin, db, config: s.config }, summary, exp, exp.rows ? last.id : null);
  last.id = c.lastId;
  const check = c.ok ? (c.rowsCompared ? 'ok (rows exact)' : 'ok (counts)') : 'FAIL';
  if (!c.ok) state.failures.push(`/${size} ${kind} ${step}:\n  ${c.problems.join('\n  ')}`);
  state.results.push({
    size, db: kind, step, night: n.night, wall: r.wall, cpu: r.cpu, srvCpu: srv1 === null || srv0 === null ? null : srv1 - srv0, rssMb: r.rssMb, bytes: n.bytes, obs: obsOf(n),
    changes: summary?.change_count ?? null, check, checkWall: c.checkWall,
  });
  log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS, ${fmtInt(summary?.change_count)} changes — ${check}${c.ok ? '' : `\n  ${c.problems.join('\n  ')}`}`);
  return c.ok || summary?.status === 'applied';
}

/** The three nights in order into one fresh database per kind, dropped after. */
async function ingestSteps(s: SizeRun): Promise<void> {
  for (const kind of s.opts.dbs) {
    const db = freshDb(kind, s.opts, `p${s.size}_${kind}`);
    try {
      const last: { id: number | null } = { id: 0 };
      let ok = true;
      for (const n of s.nights) {
        ok = await ingestNight(s, db, n, last);
        if (!ok) break;
      }
      if (ok && s.opts.dashboardReps > 0) {
        await dashboardStep({ size: s.size, dir: s.dir, bin: s.build.bin, db, scanner: SCANNER, reps: s.opts.dashboardReps, state: s.state });
      }
    } finally {
      await db.drop().catch((e: unknown) => log(`  could not drop the ${kind} database: ${messageOf(e)}`));
    }
  }
}

/** Runs every step of one size; its rows, failures and profiles go into `state`. */
export async function runSize(size: number, opts: Options, build: Build, state: RunState): Promise<SizeInfo> {
  const dir = path.join(opts.out, `p${size}`);
  const { manifest, genWall } = scansFor(size, dir, opts);
  const s: SizeRun = { size, dir, config: configFile(dir), nights: manifest.nights, build, opts, state };
  const info: SizeInfo = { size, manifest, genWall, parse: null, ndiff: null };
  info.parse = await parseStep(s);
  await ingestSteps(s);
  if (opts.profile === size) await profileSize({ size, dir, config: s.config, nights: s.nights, bin: build.bin, dist: build.dist }, opts, state.profiles);
  if (opts.ndiff) info.ndiff = await runNdiff(size, dir, s.nights, state.results);
  return info;
}
