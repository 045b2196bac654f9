// One timed, checked ingest of one night's file: the step the plain nights and their -sV copies
// (versions-step.ts) share, so both are measured and checked the same way.
import fs from 'node:fs';
import path from 'node:path';
import type { Build } from './build';
import { checkNight, type IngestSummary } from './check-night';
import { SCANNER, log } from './common';
import { isLocalPg, pgServerCpu, type BenchDb } from './databases';
import { fmt, fmtInt, obsOf } from './format';
import type { Expected, NightInfo } from './generate';
import { node } from './measure';
import type { Options } from './options';
import type { RunState } from './results';

/** One size's files and the build they are measured with. */
export interface SizeRun {
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

/**
 * One timed, checked ingest of `n` (a plain night, or with `sv` its -sV copy). Returns false when
 * the later nights on this database make no sense.
 */
export async function ingestNight(s: SizeRun, db: BenchDb, n: NightInfo, last: { id: number | null }, sv = false): Promise<boolean> {
  const { size, opts, state } = s;
  const kind = db.kind;
  const exp = loadExpected(s.dir, n);
  const step = `ingest night${n.night}${sv ? ' -sV' : ''}${n.night === 0 ? ' (first load, empty DB)' : ''}`;
  log(`/${size} ${kind}: ${step}`);
  const srv0 = kind === 'pg' && isLocalPg(opts.pg) ? pgServerCpu() : null;
  const r = await node([s.build.bin, '--db', db.url, '--config', s.config, '--json', 'ingest', '--scanner', SCANNER, path.join(s.dir, n.file)], { timeoutS: opts.stepTimeout });
  const base = { size, db: kind, step, night: n.night, ...(sv ? { sv } : {}), bytes: n.bytes, obs: obsOf(n) };
  if (r.timedOut) {
    const why = `timed out after ${opts.stepTimeout} s (--step-timeout): stopped, answer unchecked; later nights on ${kind} skipped`;
    state.failures.push(`/${size} ${kind} ${step}: ${why}`);
    state.results.push({ ...base, wall: null, cpu: null, rssMb: r.rssMb, changes: null, check: `TIMEOUT (> ${opts.stepTimeout} s)`, timedOut: true, limit: opts.stepTimeout });
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
    ...base, wall: r.wall, cpu: r.cpu, srvCpu: srv1 === null || srv0 === null ? null : srv1 - srv0, rssMb: r.rssMb,
    changes: summary?.change_count ?? null, check, checkWall: c.checkWall,
  });
  log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS, ${fmtInt(summary?.change_count)} changes — ${check}${c.ok ? '' : `\n  ${c.problems.join('\n  ')}`}`);
  return c.ok || summary?.status === 'applied';
}
