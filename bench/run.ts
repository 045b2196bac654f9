#!/usr/bin/env node
// The delta benchmark (issue 3): `npm run bench [-- options]` runs `node dist/bench/run.js`.
// What it does and its options: options.ts (HELP, printed by --help). This file only puts the
// steps in order and decides the exit code: 0 all checks passed, 1 a correctness check failed
// or a step timed out, 2 the bench itself could not run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareBaseline } from './baseline';
import { snapshotDist, type Build } from './build';
import { ROOT, log, messageOf } from './common';
import { pgQuery } from './databases';
import { report, sqlShort, writeDoc, type Report } from './doc';
import { fmt } from './format';
import { machine } from './machine';
import { TIME, hasTime } from './measure';
import { HELP, parseArgs, type Options } from './options';
import type { Profile, RunState, SizeInfo } from './results';
import { runSize } from './run-size';

async function checkPg(opts: Options): Promise<void> {
  if (!opts.dbs.includes('pg')) return;
  try {
    await pgQuery(opts.pg, 'SELECT 1');
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${opts.pg} (${messageOf(e)}): start it, give --pg URL, or run with --db sqlite`);
  }
}

/** Every size, small first; the generated files are removed after unless --keep. */
async function runSizes(opts: Options, build: Build, state: RunState): Promise<SizeInfo[]> {
  const infos: SizeInfo[] = [];
  const sizes = [...opts.sizes].sort((a, b) => b - a); // small first
  const baseline = opts.baseline === null ? null : prepareBaseline(opts.baseline, opts.out);
  try {
    for (const size of sizes) infos.push(await runSize(size, opts, { build, baseline }, state));
  } finally {
    if (!opts.keep) {
      for (const size of sizes) fs.rmSync(path.join(opts.out, `p${size}`), { recursive: true, force: true });
    }
  }
  return infos;
}

function printProfile(p: Profile): void {
  process.stdout.write(`\nprofile /${p.size} ${p.step} on ${p.db} (${p.file}):\n`);
  for (const row of p.rows) process.stdout.write(`${fmt(row.ms, 0).padStart(8)} ms ${fmt(row.pct, 1).padStart(5)} %  ${row.name}  ${row.where}\n`);
  if (p.sql.length) process.stdout.write('statements by total time:\n');
  for (const x of p.sql.slice(0, 12)) process.stdout.write(`${fmt(x.ms, 0).padStart(8)} ms ${String(x.calls).padStart(6)} ×  ${sqlShort(x.sql)}\n`);
}

/** The terminal's summary: the table, the targets, the profiles. */
function printReport(r: Report, profiles: readonly Profile[]): void {
  process.stdout.write(`\n${r.table}\n\n`);
  if (r.dashboard) process.stdout.write(`${r.dashboard}\n\n`);
  for (const x of r.targets) process.stdout.write(`${x.met === null ? 'info' : x.met ? 'met ' : 'MISS'}  ${x.target}: ${x.measured}\n`);
  for (const p of profiles) printProfile(p);
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (opts === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  fs.mkdirSync(opts.out, { recursive: true });
  const build = snapshotDist(opts);
  await checkPg(opts);
  if (os.loadavg()[0] > 0.5) log(`note: load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: other work is running, the figures will be disturbed`);
  if (!hasTime) log(`note: ${TIME} is missing (apt-get install time): RSS of node children comes from bench/rss.js, ndiff's is unknown`);
  const t0 = Date.now();
  const m = await machine(opts);
  const state: RunState = { results: [], failures: [], profiles: [], dashboards: [] };
  const infos = await runSizes(opts, build, state);
  m.loadEnd = os.loadavg();
  const r = report({ opts, argv, machine: m, build, infos, state, totalWall: Date.now() - t0 });
  printReport(r, state.profiles);
  if (opts.doc) {
    writeDoc(opts.doc, r.text);
    process.stdout.write(`\nwritten to ${path.relative(ROOT, opts.doc)}\n`);
  }
  if (state.failures.length) {
    process.stdout.write(`\nCORRECTNESS CHECK FAILED (${state.failures.length}):\n${state.failures.join('\n')}\n`);
    return 1;
  }
  process.stdout.write('\ncorrectness: every check passed\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${process.env.BENCH_DEBUG && err instanceof Error ? err.stack : messageOf(err)}\n`);
    process.exit(2);
  },
);
