// What one run collects, step by step, for the tables, the targets and the document.
import type { ProfileSummary } from './cpuprofile';
import type { Manifest, NightInfo } from './generate';
import type { Measured } from './measure';
import type { DbKind } from './options';
import type { SqlStat } from './sql-profile';

/** One row of the results table: a parse, an ingest or ndiff. */
export interface StepResult {
  size: number;
  /** '-' for the steps without a database (parse, ndiff). */
  db: DbKind | '-';
  step: string;
  /** The ingest's night (0..2); absent for parse and ndiff. */
  night?: number;
  /** An ingest of a night's -sV copy (versions-step.ts), not of the plain night. */
  sv?: boolean;
  /** The no-change night: night 2 re-dated one day later (redated.ts). */
  redated?: boolean;
  /** An ingest by the --baseline build (its short commit), not by the build measured. */
  baseline?: string;
  wall: number | null;
  cpu: number | null;
  /** CPU seconds of the local PostgreSQL server meanwhile; absent or null when not seen. */
  srvCpu?: number | null;
  rssMb: number | null;
  bytes: number;
  obs: number;
  changes: number | null;
  check: string;
  checkWall?: number;
  timedOut?: boolean;
  /** The step timeout it ran into, when timedOut. */
  limit?: number;
}

/** Whether `r` is the ingest of plain night `night` by the build measured (not -sV, re-dated or baseline). */
export const isPlainNight = (r: StepResult, night: number): boolean => r.night === night && !r.sv && !r.redated && r.baseline === undefined;

/** The parse-only step as the parse target reads it. */
export interface ParseInfo extends Measured {
  bytes: number;
  obs: number;
  /** The parse alone, timed inside the process; null when it failed. */
  parseS: number | null;
}

/** What one size produced, besides its table rows. */
export interface SizeInfo {
  size: number;
  manifest: Manifest;
  genWall: number | null;
  parse: ParseInfo | null;
  /** The -sV copies of the nights (versions-step.ts), when that step ran. */
  svNights?: NightInfo[];
  /** ndiff's run, when it ran and succeeded. */
  ndiff: Measured | null;
}

export interface Profile extends ProfileSummary {
  size: number;
  db: DbKind;
  /** What was profiled: 'night-2 ingest', or the no-change night. */
  step: string;
  file: string;
  wall: number;
  cpu: number | null;
  sql: SqlStat[];
}

/** One dashboard page's timings (milliseconds, request to last byte). */
export interface DashboardPage {
  name: string;
  path: string;
  /** The warm-up's status and size. */
  status: number;
  bytes: number;
  /** Timed requests after the warm-up. */
  n: number;
  warmMs: number;
  p50: number;
  p95: number;
  max: number;
}

/** The dashboard step on one database of one size. */
export interface DashboardRun {
  size: number;
  db: DbKind;
  pages: DashboardPage[];
  /** serve's peak RSS over the whole step. */
  rssMb: number | null;
  error: string | null;
  /** What the step did to the database before serve started (bench/dashboard.ts morningAfter), or null. */
  note: string | null;
}

/** Everything a run collects; the steps append to it. */
export interface RunState {
  results: StepResult[];
  failures: string[];
  profiles: Profile[];
  dashboards: DashboardRun[];
}

/** One line of the targets table. */
export interface TargetRow {
  target: string;
  measured: string;
  /** null: informative only (e.g. a ratio set for the /12, shown at smaller sizes). */
  met: boolean | null;
  ratio?: number;
}
