// The correctness check of one ingest: its summary and its change rows against the model's.
import type { ChangeRow } from '../common/types';
import { describeDiff, diffRows, sameCounts, summaryCounts } from './compare';
import { SCANNER } from './common';
import type { BenchDb } from './databases';
import type { Expected } from './generate';
import { node, type Measured } from './measure';

/** The fields of `ingest --json`'s summary the check reads. */
export interface IngestSummary {
  status: string;
  error?: string;
  scan_id?: number;
  complete?: boolean;
  hosts_up?: number;
  ports_open?: number;
  change_count?: number;
  changes?: Record<string, number>;
}

export interface NightCheck {
  ok: boolean;
  problems: string[];
  /** The highest change id seen so far, or null when this night's rows were not fetched. */
  lastId: number | null;
  /** Seconds the `changes` query took (0 when not run). */
  checkWall?: number;
  rowsCompared?: boolean;
}

/** The build and files one database's checks run with. */
export interface CheckContext {
  bin: string;
  db: BenchDb;
  config: string;
}

async function changesJson(ctx: CheckContext, args: string[]): Promise<{ rows: ChangeRow[]; r: Measured }> {
  const r = await node([ctx.bin, '--db', ctx.db.url, '--config', ctx.config, '--json', 'changes', ...args]);
  if (r.code !== 0) throw new Error(`portdelta changes ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return { rows: JSON.parse(r.stdout) as ChangeRow[], r };
}

/** The summary's figures that differ from the model's, one line each. */
function summaryProblems(summary: IngestSummary, exp: Expected): string[] {
  const problems: string[] = [];
  if (summary.status !== 'applied') problems.push(`status ${summary.status}${summary.error ? `: ${summary.error}` : ''}`);
  if (summary.complete === false) problems.push('scan recorded as incomplete');
  if (summary.hosts_up !== exp.hosts_up) problems.push(`hosts_up ${summary.hosts_up}, expected ${exp.hosts_up}`);
  if (summary.ports_open !== exp.ports_open) problems.push(`ports_open ${summary.ports_open}, expected ${exp.ports_open}`);
  if (summary.change_count !== exp.change_count) problems.push(`change_count ${summary.change_count}, expected ${exp.change_count}`);
  const wantCounts = summaryCounts(exp.counts);
  if (!sameCounts(summary.changes ?? {}, wantCounts)) problems.push(`changes by type ${JSON.stringify(summary.changes)}, expected ${JSON.stringify(wantCounts)}`);
  return problems;
}

/** Checks one ingest's summary and change rows against the model. */
export async function checkNight(ctx: CheckContext, summary: IngestSummary | null, exp: Expected, lastId: number | null): Promise<NightCheck> {
  if (!summary) return { ok: false, problems: ['no ingest summary'], lastId };
  const problems = summaryProblems(summary, exp);
  if (!exp.rows || summary.status !== 'applied') return { ok: problems.length === 0, problems, lastId: null, checkWall: 0, rowsCompared: false };
  // Night 0's rows are only fetched when the model kept them (small sizes); otherwise ids are
  // unknown after it, and night 1 is selected by its detection time instead.
  const args = lastId !== null ? ['--after-id', String(lastId)] : ['--since', exp.start];
  const { rows, r } = await changesJson(ctx, args);
  const foreign = rows.filter((x) => x.scan_id !== summary.scan_id || x.scanner !== SCANNER);
  if (foreign.length) problems.push(`${foreign.length} change rows of another scan or scanner after this ingest (first: ${JSON.stringify(foreign[0])})`);
  const d = diffRows(exp.rows, rows);
  if (!d.ok) problems.push(`change rows differ from the model (${d.missing.length} missing, ${d.extra.length} unexpected):\n${describeDiff(d)}`);
  const newLast = rows.reduce((m, x) => Math.max(m, x.id), lastId ?? 0);
  return { ok: problems.length === 0, problems, lastId: newLast, checkWall: r.wall, rowsCompared: true };
}
