// The block between the markers of docs/benchmarks.md: a run's machine, sizes, results, targets
// and profiles; and writing it into the document without touching the text around it.
import fs from 'node:fs';
import path from 'node:path';
import type { Build } from './build';
import { ROOT } from './common';
import { maskName } from './compare';
import { dbLabel, fmt, fmtInt, mb } from './format';
import type { Machine } from './machine';
import type { Options } from './options';
import { dashboardRss, dashboardTable, dashboardTargets } from './dashboard-report';
import { markdownTable, resultsTable, textTable } from './report-table';
import type { Profile, RunState, SizeInfo, TargetRow } from './results';
import { targets } from './targets';

// The marker text is matched by earlier documents: keep it as it is.
const BEGIN = '<!-- bench:results:begin (written by bench/run.js; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

/** Everything one report is made of. */
interface ReportInput {
  opts: Options;
  argv: readonly string[];
  machine: Machine;
  build: Build;
  infos: readonly SizeInfo[];
  state: RunState;
  /** Milliseconds the whole run took. */
  totalWall: number;
}

export interface Report {
  /** The Markdown block, markers included. */
  text: string;
  /** The results table for the terminal. */
  table: string;
  /** The dashboard's table and serve's RSS for the terminal ('' without a dashboard step). */
  dashboard: string;
  targets: TargetRow[];
}

/** A statement shape short enough for a table cell. */
export function sqlShort(sql: string, max = 220): string {
  const s = sql.replace(/`/g, "'").replace(/\|/g, '\\|');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function machineSection(r: ReportInput): string[] {
  const { opts, machine: m, build } = r;
  const la = (l: number[] | null): string => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
  const L = ['### Machine', '', '| | |', '|---|---|'];
  L.push(`| CPU | ${m.cpus} × ${m.cpu} |`);
  L.push(`| memory | ${m.memory} |`);
  L.push(`| OS | ${m.os} (kernel ${m.kernel}) |`);
  L.push(`| Node.js | ${m.node} |`);
  if (opts.dbs.includes('sqlite')) L.push(`| SQLite | ${m.sqlite ?? 'unknown'} (node-sqlite3, database file on ${m.disk || 'local disk'}) |`);
  if (opts.dbs.includes('pg')) L.push(`| PostgreSQL | ${m.postgres} (same machine, over TCP 127.0.0.1) |`);
  L.push(`| ndiff | ${m.ndiff} |`);
  L.push(`| build measured | ${path.relative(ROOT, build.from) || '.'}/ compiled ${build.builtAt}, JS digest ${build.digest}${opts.dist ? '' : ' (a copy taken at the start of the run)'} |`);
  L.push(`| measured with | ${m.time} |`);
  L.push(`| load average (1/5/15 min) | at the start ${la(m.loadStart)}, at the end ${la(m.loadEnd)}${m.loadStart[0] > 0.5 ? ' — **other work was running: the figures are disturbed**' : ''} |`);
  return L;
}

function sizesSection(infos: readonly SizeInfo[]): string[] {
  const L = ['### Sizes', '', '| network | addresses listed | night | hosts up | open ports | file | expected changes |', '|---|---|---|---|---|---|---|'];
  for (const i of infos) {
    for (const n of [...i.manifest.nights, ...(i.manifest.redated ? [i.manifest.redated] : []), ...(i.svNights ?? [])]) {
      const counts = Object.entries(n.counts).sort((a, b) => Number(a[0]) - Number(b[0])).map(([k, v]) => `${fmtInt(v)} ${maskName(Number(k))} (${k})`).join(', ');
      L.push(`| ${i.manifest.network} | ${fmtInt(n.hosts_listed)} | ${n.file.replace(/\.xml$/, '')} | ${fmtInt(n.hosts_up)} | ${fmtInt(n.ports_open)} | ${fmt(mb(n.bytes), 1)} MB | ${fmtInt(n.change_count)}${counts ? `: ${counts}` : ' (no change)'} |`);
    }
  }
  return L;
}

function resultsSection(r: ReportInput): string[] {
  return [
    '### Results',
    '',
    markdownTable(resultsTable(r.state.results)),
    '',
    'wall = spawn to exit of the process, start-up included; CPU = user + system time of that process (SQLite runs inside it); server CPU = CPU time the local PostgreSQL server\'s processes used meanwhile (anything else it served too); peak RSS = of that process only (not the PostgreSQL server); obs = addresses listed + open ports listed in the file(s); MB = 10⁶ bytes of XML.',
    '"ingest night0" loads night0.xml into an empty database (the first full load: every host and port is new).',
    '"-sV" = the same night rewritten as `nmap -sV` output (every open port probed, about 2 % with another version each night), ingested into another fresh database: its rows are the plain night\'s plus the modelled `service_changed` (bench/versions-expected.ts).',
    '"re-dated (no change)" = night2.xml with every time one day later and nothing else changed, ingested after night 2 (and the dashboard step): no change at all, the same hosts and ports; "last_seen" = `portdelta hosts --json` lists every up host last seen at the re-dated start (sizes up to a /16).',
    '"baseline X" = night 0 loaded by the build of commit X (`--baseline REF`) into another fresh database, right after the build measured did the same.',
    '"rows exact" = the full set of change rows of that ingest (`changes --json`) equals the model\'s, field by field; "counts" = the per-type counts, hosts up and open ports equal the model\'s (night 0 of sizes above /16, whose 1.2 M rows are not fetched).',
  ];
}

function dashboardSection(r: ReportInput): string[] {
  const runs = r.state.dashboards;
  if (runs.length === 0) return [];
  return [
    '### Dashboard', '',
    markdownTable(dashboardTable(runs)), '',
    ...dashboardRss(runs).map((l) => `- ${l}`), '',
    `After night 2 on each database, \`portdelta serve\` (the build measured, a process on 127.0.0.1, a read token without networks) is asked for each page once to warm up, then n times in a row; p50/p95/max = milliseconds from the request to the last byte of the answer on loopback, one request at a time; KiB = size of the answer; peak RSS = of serve over the whole step (bench/dashboard.ts).`,
    '',
  ];
}

function targetsSection(tg: readonly TargetRow[], failures: readonly string[]): string[] {
  const yes = (v: boolean | null): string => (v === null ? '(informative)' : v ? 'met' : '**not met**');
  const L = ['### Targets (issues 3, 14 and 17)', '', '| target | measured | |', '|---|---|---|'];
  for (const x of tg) L.push(`| ${x.target} | ${x.measured} | ${yes(x.met)} |`);
  L.push('');
  L.push(`Correctness: ${failures.length === 0 ? 'every check passed.' : `**${failures.length} check(s) failed**:`}`);
  if (failures.length) L.push('', '```', ...failures, '```');
  return L;
}

function profileBlock(p: Profile): string[] {
  const L = [
    `\`node --cpu-prof\` of the /${p.size} ${p.step} on ${dbLabel(p.db)} (separate untimed pass; ${fmt(p.wall)} s wall with the profiler, ${fmt(p.cpu)} s CPU of the node process; ${fmt(p.totalMs / 1000)} s sampled on the main thread). Top self time:`,
    '', '| self ms | % | function | where |', '|---|---|---|---|',
  ];
  for (const r of p.rows) L.push(`| ${fmt(r.ms, 0)} | ${fmt(r.pct, 1)} | ${r.name.replace(/\|/g, '\\|')} | ${r.where} |`);
  L.push('');
  if (p.sql.length) {
    const total = p.sql.reduce((a, x) => a + x.ms, 0);
    L.push(`Statements of that ingest by total time (knex call to answer, bench/sql-profile.js; ${fmt(total / 1000)} s in all):`, '', '| total ms | calls | statement |', '|---|---|---|');
    for (const x of p.sql.slice(0, 12)) L.push(`| ${fmt(x.ms, 0)} | ${x.calls} | \`${sqlShort(x.sql)}\` |`);
    L.push('');
  }
  return L;
}

function profilesSection(profiles: readonly Profile[]): string[] {
  if (!profiles.length) return [];
  return [
    '', '### Profile of the night-2 ingest and the no-change night', '',
    ...profiles.flatMap(profileBlock),
    '"(idle)" is the main thread waiting: for SQLite, on node-sqlite3\'s worker thread running the statements; for PostgreSQL, on the server.',
  ];
}

/** The document block and the terminal's table and targets of one run. */
export function report(r: ReportInput): Report {
  const t = resultsTable(r.state.results);
  const tg = [...targets(r.state.results, r.opts.sizes, r.infos), ...dashboardTargets(r.state.dashboards)];
  const L = [
    BEGIN, '',
    `Command: \`npm run bench${r.argv.length ? ` -- ${r.argv.join(' ')}` : ''}\` — ${r.machine.date}, whole run ${fmt(r.totalWall / 60000, 1)} min.`, '',
    ...machineSection(r), '',
    ...sizesSection(r.infos), '',
    ...resultsSection(r), '',
    ...dashboardSection(r),
    ...targetsSection(tg, r.state.failures),
    ...profilesSection(r.state.profiles),
    '', END,
  ];
  const runs = r.state.dashboards;
  const dashboard = runs.length ? [textTable(dashboardTable(runs)), ...dashboardRss(runs)].join('\n') : '';
  return { text: L.join('\n'), table: textTable(t), dashboard, targets: tg };
}

const DOC_HEAD = `# Benchmarks

\`npm run bench\` measures portdelta's delta pipeline on generated full-port scans and checks the
answer exactly; see bench/run.ts (\`node dist/bench/run.js --help\`) for the options. The section
between the markers below is rewritten by every run.

`;

/** Replaces the block between the markers (or appends one); the text around it stays as it is. */
export function writeDoc(file: string, block: string): void {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : DOC_HEAD + `${BEGIN}\n${END}\n`;
  // the begin marker's start only: older documents may word its comment differently
  const a = text.indexOf(BEGIN.slice(0, 30));
  const b = text.indexOf(END);
  if (a < 0 || b < 0) text = `${text.trimEnd()}\n\n${block}\n`;
  else text = text.slice(0, a) + block + text.slice(b + END.length);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
