// One size of the bench: generate (or reuse) its three nights and the re-dated night 2, time the
// parse and every ingest on each database (each followed by its -sV copy; night 0 also by the
// --baseline build; after night 2 and the dashboard, the no-change night), check each against the
// model, then the optional profile and ndiff.
import fs from 'node:fs';
import path from 'node:path';
import type { Baseline } from './baseline';
import type { Build } from './build';
import { dashboardStep } from './dashboard';
import { ROOT, SCANNER, log, messageOf } from './common';
import { freshDb } from './databases';
import { fmt, mb, obsOf } from './format';
import { generate, reusable, type Manifest, type NightInfo } from './generate';
import { ingestNight, type SizeRun } from './ingest-step';
import { node } from './measure';
import { baselineFirstLoad, noChangeNight } from './night-variants';
import { runNdiff } from './ndiff';
import { versionsAt, type Options } from './options';
import type { ParseCounts } from './parse-only';
import { profileSize } from './profile';
import { REDATED_FILE, withRedated } from './redated';
import { versionLane, writeVersionNights } from './versions-step';
import type { ParseInfo, RunState, SizeInfo } from './results';

function configFile(dir: string): string {
  const file = path.join(dir, 'portdelta.yaml');
  fs.writeFileSync(file, `# written by the bench (bench/run-size.ts): the bench's scanner with the default thresholds, spelled out\nscanners:\n  ${SCANNER}:\n    open_after: 1\n    close_after: 1\n    down_after: 1\n`);
  return file;
}

/**
 * The size's three nights and night 2 re-dated: reused from an earlier --keep run when they match,
 * else generated (the re-dated night alone is added to kept files made before it existed).
 */
function scansFor(size: number, dir: string, opts: Options): { manifest: Manifest; genWall: number | null } {
  const kept = reusable(dir, size, opts.seed);
  if (kept) {
    log(`/${size}: reusing the files in ${path.relative(ROOT, dir)}${kept.redated ? '' : `; writing ${REDATED_FILE}`}`);
    return { manifest: withRedated(dir, kept), genWall: null };
  }
  log(`/${size}: generating three nights into ${path.relative(ROOT, dir)} …`);
  const t0 = process.hrtime.bigint();
  const made = withRedated(dir, generate({ prefix: size, outDir: dir, seed: opts.seed }));
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

/**
 * The three nights in order into one fresh database per kind, dropped after; with `svNights`, each
 * night's -sV copy right after it into a second database.
 */
async function ingestSteps(s: SizeRun, svNights: readonly NightInfo[] | undefined): Promise<void> {
  for (const kind of s.opts.dbs) {
    const db = freshDb(kind, s.opts, `p${s.size}_${kind}`);
    const sv = svNights ? versionLane(s, kind, svNights) : null;
    try {
      const last: { id: number | null } = { id: 0 };
      let ok = true;
      for (const n of s.nights) {
        ok = await ingestNight(s, db, n, last);
        if (n.night === 0) await baselineFirstLoad(s, kind);
        await sv?.ingest(n.night);
        if (!ok) break;
      }
      if (ok && s.opts.dashboardReps > 0) {
        await dashboardStep({ size: s.size, dir: s.dir, bin: s.build.bin, db, scanner: SCANNER, reps: s.opts.dashboardReps, state: s.state });
      }
      if (ok) await noChangeNight(s, db, last);
    } finally {
      await db.drop().catch((e: unknown) => log(`  could not drop the ${kind} database: ${messageOf(e)}`));
      await sv?.drop();
    }
  }
}

/** Runs every step of one size; its rows, failures and profiles go into `state`. */
export async function runSize(size: number, opts: Options, builds: { build: Build; baseline: Baseline | null }, state: RunState): Promise<SizeInfo> {
  const { build, baseline } = builds;
  const dir = path.join(opts.out, `p${size}`);
  const { manifest, genWall } = scansFor(size, dir, opts);
  const s: SizeRun = { size, dir, config: configFile(dir), nights: manifest.nights, redated: manifest.redated, build, baseline, opts, state };
  const info: SizeInfo = { size, manifest, genWall, parse: null, ndiff: null };
  info.parse = await parseStep(s);
  if (versionsAt(opts, size)) info.svNights = writeVersionNights(s, manifest);
  await ingestSteps(s, info.svNights);
  if (opts.profile === size) await profileSize({ size, dir, config: s.config, nights: s.nights, redated: s.redated, bin: build.bin, dist: build.dist }, opts, state.profiles);
  if (opts.ndiff) info.ndiff = await runNdiff(size, dir, s.nights, state.results);
  return info;
}
