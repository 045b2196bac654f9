// The bench's command line: `npm run bench [-- options]`.
import path from 'node:path';
import { ROOT } from './common';

export type DbKind = 'sqlite' | 'pg';

export interface Options {
  sizes: number[];
  dbs: DbKind[];
  out: string;
  keep: boolean;
  seed: number;
  ndiff: boolean;
  /** The size whose night-2 ingest and no-change night are profiled, or null. */
  profile: number | null;
  /** The document to update, or null (--no-doc). */
  doc: string | null;
  pg: string;
  stepTimeout: number;
  /** Timed requests per dashboard page after the warm-up; 0 = no dashboard step. */
  dashboardReps: number;
  /** The -sV step (versions-step.ts): true every size, false none, null sizes ≤ /16 (versionsAt). */
  versions: boolean | null;
  /** --dist: measure this build itself instead of a snapshot of dist/. */
  dist?: string;
  /** --baseline REF: the commit whose first load the build measured is compared with (baseline.ts), or null. */
  baseline: string | null;
}

export const HELP = `The delta benchmark (issues 3, 14, 15 and 17): \`npm run bench [-- options]\` (node dist/bench/run.js).

For each size (10.0.0.0/16 and /12 by default) it generates three nights of a full-port TCP scan
(bench/generate.ts, deterministic, with the exact expected changes), then measures
  parse      the nmap XML input agent alone over night2.xml
  ingest 0   night0.xml into an EMPTY database: the first full load, everything new
  ingest 1   night1.xml (changes relative to night 0)
  ingest 2   night2.xml (changes relative to night 1; the headline figure)
  no change  night2-redated.xml: night 2 with every time one day later, after night 2 (and the
             dashboard): no change at all, every up host's last_seen brought forward (issue 17)
  ingest -sV the three nights again as -sV output (every open port probed, about 2 % with another
             version each night), into a fresh database: the cost of version data (sizes ≤ /16)
on SQLite and PostgreSQL, each in its own process run under /usr/bin/time (wall time, peak RSS,
CPU), checks every ingest's reported changes against the model exactly, times every dashboard
page served by \`portdelta serve\` on the database built (p50/p95, serve's peak RSS), runs nmap's ndiff on
night1.xml/night2.xml for comparison, prints the table and writes it into docs/benchmarks.md.
Exit code: 0 all checks passed, 1 a correctness check failed or a step timed out, 2 the bench
itself could not run.

Options:
  --sizes 16,12       network prefixes to run (10.0.0.0/N; 24, 22, 20 for quick runs)
  --db sqlite,pg      databases
  --pg URL            PostgreSQL server (default $PORTDELTA_BENCH_PG_URL, $PORTDELTA_TEST_PG_URL or
                      postgres://postgres@127.0.0.1:5432/test); each run uses a fresh schema, dropped after
  --out DIR           where the scan files go (default bench-out/; the /12 needs ~1.1 GB)
  --keep              keep the generated files (they are reused by the next run when they match)
  --seed N            generator seed (default 1)
  --no-ndiff          skip ndiff
  --profile [N]       also profile (node --cpu-prof) the night-2 ingest of size N and the no-change
                      night after it (default: the smallest size run) on each database, in a
                      separate untimed pass
  --doc FILE          the document to update (default docs/benchmarks.md); --no-doc to leave it
  --dist DIR          the compiled build to measure (default: a snapshot of dist/ taken at the start)
  --dashboard-reps N  timed requests per dashboard page (default 20, after one warm-up; a page whose
                      warm-up takes over 5 s gets 3): after night 2 on each database, \`portdelta
                      serve\` runs on it and every page is fetched (bench/dashboard.ts)
  --no-dashboard      skip the dashboard step
  --no-versions       skip the -sV step (by default it runs for sizes ≤ /16: /16, /20, …)
  --versions          run it at every size, the /12 too (its night-0 rows are then checked by counts)
  --baseline REF      also load night 0 with the build of commit REF of this repository (built once
                      into OUT/baseline-<commit>/ by git worktree and tsc, reused after) into another
                      fresh database, right after the build measured did: "first load ≤ 0.6 × baseline"
  --step-timeout S    stop a parse or ingest that runs longer than S seconds (default 600): it is
                      reported as timed out (a failure: its answer is unchecked) and that
                      database's later nights are skipped
`;

function defaults(): Options {
  return {
    sizes: [16, 12], dbs: ['sqlite', 'pg'], out: path.join(ROOT, 'bench-out'), keep: false, seed: 1, ndiff: true, profile: null,
    doc: path.join(ROOT, 'docs', 'benchmarks.md'),
    pg: process.env.PORTDELTA_BENCH_PG_URL || process.env.PORTDELTA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
    stepTimeout: 600,
    dashboardReps: 20,
    versions: null,
    baseline: null,
  };
}

/** 'postgres' and 'postgresql' are spelt 'pg'; anything else is checked in validate(). */
const dbName = (s: string): string => (s === 'postgres' || s === 'postgresql' ? 'pg' : s);

function validate(o: Options, dbs: string[]): Options {
  for (const s of o.sizes) if (!Number.isInteger(s) || s < 8 || s > 30) throw new Error(`--sizes: '${s}' is not a prefix length 8..30`);
  for (const d of dbs) if (d !== 'sqlite' && d !== 'pg') throw new Error(`--db: '${d}' is neither sqlite nor pg`);
  if (!(o.stepTimeout > 0)) throw new Error('--step-timeout: give a number of seconds');
  if (!Number.isInteger(o.dashboardReps) || o.dashboardReps < 0) throw new Error('--dashboard-reps: give a whole number of requests (0: no dashboard step)');
  // `--profile` without a size means the smallest network, i.e. the longest prefix
  if (o.profile === 0) o.profile = Math.max(...o.sizes);
  return o;
}

/** The options, or 'help' for --help / -h. Throws on a bad option (the bench exits 2). */
export function parseArgs(argv: readonly string[]): Options | 'help' {
  const o = defaults();
  let dbs: string[] = o.dbs;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--sizes') o.sizes = val().split(',').map((s) => Number(s.replace(/^\//, '')));
    else if (a === '--db') dbs = val().split(',').map(dbName);
    else if (a === '--pg') o.pg = val();
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--keep') o.keep = true;
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--no-ndiff') o.ndiff = false;
    else if (a === '--doc') o.doc = path.resolve(val());
    else if (a === '--no-doc') o.doc = null;
    else if (a === '--step-timeout') o.stepTimeout = Number(val());
    else if (a === '--dist') o.dist = path.resolve(val());
    else if (a === '--baseline') o.baseline = val();
    else if (a === '--dashboard-reps') o.dashboardReps = Number(val());
    else if (a === '--no-dashboard') o.dashboardReps = 0;
    else if (a === '--versions') o.versions = true;
    else if (a === '--no-versions') o.versions = false;
    else if (a === '--profile') o.profile = /^\d+$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 0;
    else if (a === '--help' || a === '-h') return 'help';
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  o.dbs = dbs.filter((d): d is DbKind => d === 'sqlite' || d === 'pg');
  return validate(o, dbs);
}

/** Whether size /N gets the -sV step: by default the small ones, where it costs seconds. */
export const versionsAt = (o: Pick<Options, 'versions'>, size: number): boolean => o.versions ?? size >= 16;
