// One timed, checked ingest of one night's file: the step the plain nights and their -sV copies
// (versions-step.ts) share, so both are measured and checked the same way.
import fs from 'node:fs';
import path from 'node:path';
import type { Baseline } from './baseline';
import type { Build } from './build';
import { checkNight, type CheckContext, type IngestSummary, type NightCheck } from './check-night';
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
  /** The no-change night (redated.ts), when written. */
  redated?: NightInfo;
  /** The --baseline build, when given. */
  baseline: Baseline | null;
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

/** Which ingest of a night this is; a plain night when empty. */
export interface IngestVariant {
  /** The night's -sV copy (versions-step.ts). */
  sv?: boolean;
  /** Night 2 re-dated, the no-change night (redated.ts); its result is marked `redated`. */
  redated?: boolean;
  /** The --baseline build (baseline.ts), which then also runs the check's queries. */
  baseline?: Baseline;
  /** A further check after the model's, run only when that passed: its problems, and what it checked. */
  extra?: () => Promise<{ problems: string[]; what: string }>;
}

function stepName(night: number, v: IngestVariant): string {
  if (v.redated) return `ingest night${night} re-dated (no change)`;
  if (v.baseline) return `ingest night${night} (baseline ${v.baseline.short})`;
  return `ingest night${night}${v.sv ? ' -sV' : ''}${night === 0 ? ' (first load, empty DB)' : ''}`;
}

/** The model's check, then the variant's own when that passed. */
async function checkAll(ctx: CheckContext, summary: IngestSummary | null, exp: Expected, lastId: number | null, v: IngestVariant): Promise<{ c: NightCheck; check: string }> {
  const c = await checkNight(ctx, summary, exp, exp.rows ? lastId : null);
  let what = c.rowsCompared ? 'rows exact' : 'counts';
  if (c.ok && v.extra) {
    const x = await v.extra();
    c.problems.push(...x.problems);
    c.ok = x.problems.length === 0;
    what += `; ${x.what}`;
  }
  return { c, check: c.ok ? `ok (${what})` : 'FAIL' };
}

/**
 * One timed, checked ingest of `n` (a plain night, or the variant `v` of it). Returns false when
 * the later nights on this database make no sense.
 */
export async function ingestNight(s: SizeRun, db: BenchDb, n: NightInfo, last: { id: number | null }, v: IngestVariant = {}): Promise<boolean> {
  const { size, opts, state } = s;
  const kind = db.kind;
  const exp = loadExpected(s.dir, n);
  const step = stepName(n.night, v);
  const bin = v.baseline?.bin ?? s.build.bin;
  log(`/${size} ${kind}: ${step}`);
  const srv0 = kind === 'pg' && isLocalPg(opts.pg) ? pgServerCpu() : null;
  const r = await node([bin, '--db', db.url, '--config', s.config, '--json', 'ingest', '--scanner', SCANNER, path.join(s.dir, n.file)], { timeoutS: opts.stepTimeout });
  const marks = { ...(v.sv ? { sv: true } : {}), ...(v.redated ? { redated: true } : {}), ...(v.baseline ? { baseline: v.baseline.short } : {}) };
  const base = { size, db: kind, step, night: n.night, ...marks, bytes: n.bytes, obs: obsOf(n) };
  if (r.timedOut) {
    const why = `timed out after ${opts.stepTimeout} s (--step-timeout): stopped, answer unchecked; later nights on ${kind} skipped`;
    state.failures.push(`/${size} ${kind} ${step}: ${why}`);
    state.results.push({ ...base, wall: null, cpu: null, rssMb: r.rssMb, changes: null, check: `TIMEOUT (> ${opts.stepTimeout} s)`, timedOut: true, limit: opts.stepTimeout });
    log(`  ${why}`);
    return false;
  }
  const srv1 = srv0 === null ? null : pgServerCpu();
  const summary = summaryOf(r.code, r.stdout, r.stderr);
  const { c, check } = await checkAll({ bin, db, config: s.config }, summary, exp, last.id, v);
  last.id = c.lastId;
  if (!c.ok) state.failures.push(`/${size} ${kind} ${step}:\n  ${c.problems.join('\n  ')}`);
  state.results.push({
    ...base, wall: r.wall, cpu: r.cpu, srvCpu: srv1 === null || srv0 === null ? null : srv1 - srv0, rssMb: r.rssMb,
    changes: summary?.change_count ?? null, check, checkWall: c.checkWall,
  });
  log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS, ${fmtInt(summary?.change_count)} changes — ${check}${c.ok ? '' : `\n  ${c.problems.join('\n  ')}`}`);
  return c.ok || summary?.status === 'applied';
}
