// The bench's command line, its tables and its document block, without running a bench: these are
// the parts `npm run bench` shows or writes, so their shape is part of what must not drift.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, versionsAt } from '../../bench/options';
import { targets, versionTargets } from '../../bench/targets';
import { withServiceChanges } from '../../bench/versions-expected';
import type { Expected } from '../../bench/generate';
import type { ModelRow } from '../../bench/model';
import { resultsTable, textTable } from '../../bench/report-table';
import { writeDoc } from '../../bench/doc';
import type { DashboardPage, DashboardRun, SizeInfo, StepResult } from '../../bench/results';
import type { Manifest } from '../../bench/generate';
import type { Measured } from '../../bench/measure';
import { pagesFor, quantile } from '../../bench/dashboard';
import { dashboardRss, dashboardTable, dashboardTargets } from '../../bench/dashboard-report';

describe('bench options', () => {
  test('defaults, aliases and --profile without a size', () => {
    const o = parseArgs(['--sizes', '/22,20', '--db', 'postgresql,sqlite', '--profile', '--no-ndiff', '--no-doc']);
    expect(o).not.toBe('help');
    if (o === 'help') return;
    expect({ sizes: o.sizes, dbs: o.dbs, profile: o.profile, ndiff: o.ndiff, doc: o.doc, stepTimeout: o.stepTimeout, seed: o.seed })
      .toEqual({ sizes: [22, 20], dbs: ['pg', 'sqlite'], profile: 22, ndiff: false, doc: null, stepTimeout: 600, seed: 1 });
    expect(parseArgs(['--profile', '20', '--sizes', '20'])).toMatchObject({ profile: 20, dbs: ['sqlite', 'pg'] });
    expect(parseArgs(['-h'])).toBe('help');
  });

  test.each([
    [['--sizes', '5'], "--sizes: '5' is not a prefix length 8..30"],
    [['--db', 'mysql'], "--db: 'mysql' is neither sqlite nor pg"],
    [['--step-timeout', 'soon'], '--step-timeout: give a number of seconds'],
    [['--pg'], '--pg needs a value'],
    [['--fast'], 'unknown option --fast (see --help)'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('bench report', () => {
  const row = (over: Partial<StepResult>): StepResult => ({
    size: 22, db: 'sqlite', step: 'ingest night2', night: 2, wall: 2, cpu: 1.5, rssMb: 80.4, bytes: 4e6, obs: 2000, changes: 76, check: 'ok (rows exact)', ...over,
  });

  test('a timed-out step shows bounds from its limit, a measured one its rates', () => {
    const t = resultsTable([row({}), row({ db: 'pg', wall: null, cpu: null, changes: null, timedOut: true, limit: 600, check: 'TIMEOUT (> 600 s)' })]);
    expect(t.rows).toEqual([
      ['/22', 'SQLite', 'ingest night2', '2.00', '1.50', '-', '80', '1,000', '2.0', '76', 'ok (rows exact)'],
      ['/22', 'PostgreSQL', 'ingest night2', '> 600', 'n/a', '-', '80', '< 3', '< 0.0', '-', 'TIMEOUT (> 600 s)'],
    ]);
    expect(textTable(t).split('\n')[1]).toMatch(/^-{4}  -{10}  /);
  });

  test('writeDoc replaces only the block between the markers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-doc-'));
    try {
      const file = path.join(dir, 'benchmarks.md');
      const begin = '<!-- bench:results:begin (written by bench/run.js; edit outside these markers) -->';
      const end = '<!-- bench:results:end -->';
      fs.writeFileSync(file, `# Head\n\nhand-written\n\n${begin}\nold run\n${end}\n\nnotes after\n`);
      writeDoc(file, `${begin}\nnew run\n${end}`);
      expect(fs.readFileSync(file, 'utf8')).toBe(`# Head\n\nhand-written\n\n${begin}\nnew run\n${end}\n\nnotes after\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench dashboard step', () => {
  const page = (name: string, p95: number): DashboardPage => ({ name, path: `/${name}`, status: 200, bytes: 2048, n: 20, warmMs: p95, p50: p95 / 2, p95, max: p95 });
  const run = (over: Partial<DashboardRun>): DashboardRun => ({ size: 12, db: 'sqlite', pages: [page('overview', 120), page('audit', 900)], rssMb: 180, error: null, note: null, ...over });

  test('--dashboard-reps and --no-dashboard; 20 timed requests by default', () => {
    expect(parseArgs([])).toMatchObject({ dashboardReps: 20 });
    expect(parseArgs(['--dashboard-reps', '5'])).toMatchObject({ dashboardReps: 5 });
    expect(parseArgs(['--no-dashboard'])).toMatchObject({ dashboardReps: 0 });
    expect(() => parseArgs(['--dashboard-reps', 'many'])).toThrow('--dashboard-reps: give a whole number of requests');
  });

  test("serve's RSS line says what the step did to the database before serve started", () => {
    const lines = dashboardRss([run({}), run({ db: 'pg', note: 'autovacuum is off on this server: VACUUM (ANALYZE) …' })]);
    expect(lines[0]).toBe('/12 SQLite: serve peak RSS 180 MB');
    expect(lines[1]).toBe('/12 PostgreSQL: serve peak RSS 180 MB; autovacuum is off on this server: VACUUM (ANALYZE) …');
  });

  test('quantiles are nearest-rank', () => {
    const ms = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([quantile(ms, 0.5), quantile(ms, 0.95), quantile([7], 0.95)]).toEqual([10, 19, 7]);
  });

  test('a page over 500 ms at p95 misses the target on the /12 only; serve over 300 MB misses at any size', () => {
    const t = dashboardTargets([run({ size: 16, rssMb: 120 }), run({}), run({ db: 'pg', pages: [page('overview', 300)], rssMb: 310 })]);
    expect(t.map((x) => [x.met, x.measured])).toEqual([
      [null, 'worst audit 900 ms; over: audit 900 ms'],
      [false, 'worst audit 900 ms; over: audit 900 ms'],
      [true, 'worst overview 300 ms'],
      [false, '310 MB (/12 PostgreSQL)'],
    ]);
    expect(dashboardTable([run({})]).rows[1]).toEqual(['/12', 'SQLite', 'audit', '/audit', '200', '900', '20', '450', '900', '900', '2']);
  });

  test('every page is asked for, the wide map only below a /16', () => {
    expect(pagesFor(16, 'bench-1', '10.0.0.7').map(([n]) => n)).not.toContain('network /12');
    const p12 = pagesFor(12, 'bench-1', '10.0.0.7');
    expect(p12.find(([n]) => n === 'network /12')).toEqual(['network /12', '/networks/10.0.0.0/12', true]);
    expect(p12.map(([, p]) => p)).toEqual(expect.arrayContaining(['/', '/changes', '/hosts/10.0.0.7', '/ports/tcp/80', '/scanners', '/disagreements', '/audit']));
  });
});

describe('bench -sV step', () => {
  test('on by default for sizes up to a /16; --no-versions and --versions', () => {
    const o = parseArgs([]);
    if (o === 'help') throw new Error('help');
    expect([16, 20, 12].map((n) => versionsAt(o, n))).toEqual([true, true, false]);
    expect([16, 12].map((n) => versionsAt({ versions: false }, n))).toEqual([false, false]);
    expect(parseArgs(['--no-versions'])).toMatchObject({ versions: false });
    expect(parseArgs(['--versions'])).toMatchObject({ versions: true });
  });

  const row = (ip: string, port: number | null, type: number, over: Partial<ModelRow> = {}): ModelRow => ({
    ip, proto: port === null ? null : 'tcp', port, type, hostname: 'h.example', previous_hostname: null, returning: false, ...over,
  });
  const plain = (rows: ModelRow[]): Expected => ({ night: 2, file: 'night2.xml', start: '', hosts_listed: 4, hosts_up: 2, ports_open: 3, change_count: rows.length, counts: {}, rows });

  test('a service change joins a re-opened port\'s row, else is a row of its own with the host\'s name', () => {
    const e = withServiceChanges(plain([row('10.0.0.1', 22, 32), row('10.0.0.2', null, 1, { returning: true }), row('10.0.0.2', 80, 33, { returning: true }), row('10.0.0.3', 25, 8)]), [
      { ip: '10.0.0.1', port: 22, hostname: 'h.example' }, { ip: '10.0.0.2', port: 80, hostname: 'h.example' }, { ip: '10.0.0.1', port: 443, hostname: null },
    ]);
    expect(e.rows?.map((r) => [r.ip, r.port, r.type, r.hostname, r.returning])).toEqual([
      ['10.0.0.1', 22, 160, 'h.example', false], ['10.0.0.1', 443, 128, null, false],
      ['10.0.0.2', null, 1, 'h.example', true], ['10.0.0.2', 80, 161, 'h.example', true], ['10.0.0.3', 25, 8, 'h.example', false],
    ]);
    expect([e.file, e.change_count, e.counts]).toEqual(['night2-sv.xml', 5, { 1: 1, 8: 1, 128: 1, 160: 1, 161: 1 }]);
  });

  test('a service change on a port the model closes or sees first is a bug in the model', () => {
    expect(() => withServiceChanges(plain([row('10.0.0.1', 22, 16)]), [{ ip: '10.0.0.1', port: 22, hostname: null }])).toThrow('joins a row of type 16');
    expect(() => withServiceChanges(plain([row('10.0.0.1', 22, 9)]), [{ ip: '10.0.0.1', port: 22, hostname: null }])).toThrow('joins a row of type 9');
  });

  test('the cost line compares the -sV night-2 ingest with the plain one of the same size and database', () => {
    const r = (over: Partial<StepResult>): StepResult => ({ size: 16, db: 'sqlite', step: 'ingest night2', night: 2, wall: 2, cpu: 1.5, rssMb: 80, bytes: 1, obs: 1, changes: 1, check: 'ok', ...over });
    const t = versionTargets([r({}), r({ db: 'pg', wall: 4, srvCpu: 1 }), r({ step: 'ingest night2 -sV', sv: true, wall: 2.5, cpu: 2 }), r({ db: 'pg', step: 'ingest night2 -sV', sv: true, wall: 5, srvCpu: 1.25 })]);
    expect(t.map((x) => [x.target, x.measured, x.met])).toEqual([
      ['cost of version data: -sV night-2 ingest vs plain, SQLite (/16)', '1.25 × (2.50 s vs 2.00 s; CPU 2.00 s vs 1.50 s)', null],
      ['cost of version data: -sV night-2 ingest vs plain, PostgreSQL (/16)', '1.25 × (5.00 s vs 4.00 s; CPU 1.50 s vs 1.50 s; server CPU 1.25 s vs 1.00 s)', null],
    ]);
  });
});

describe('bench targets (issue 17)', () => {
  // A made-up /12 and /16 run in which every ratio sits exactly on its limit: parse 10 s, ndiff
  // 100 s, night-2 ingest 20 s on SQLite (0.20 × ndiff, 2.0 × parse) and 30 s on PostgreSQL
  // (0.30 ×), the no-change night 12 s (1.2 × parse), first load 6 s against the baseline's 10 s.
  const r = (size: number, db: StepResult['db'], step: string, wall: number, over: Partial<StepResult> = {}): StepResult => ({
    size, db, step, wall, cpu: wall, rssMb: 256, bytes: 1, obs: 1, changes: 0, check: 'ok', ...over,
  });
  const run = (size: number, n2Sqlite: number): StepResult[] => [
    r(size, '-', 'parse night2', 10),
    ...(['sqlite', 'pg'] as const).flatMap((db) => [
      r(size, db, 'ingest night0 (first load, empty DB)', 6, { night: 0 }),
      r(size, db, 'ingest night0 (baseline 0123456789)', 10, { night: 0, baseline: '0123456789', rssMb: 900 }),
      // before night 2, so that a target taking it for night 2 would be caught
      r(size, db, 'ingest night2 re-dated (no change)', 12, { night: 2, redated: true }),
      r(size, db, 'ingest night2', db === 'sqlite' ? n2Sqlite : 30, { night: 2 }),
    ]),
  ];
  const info = (size: number): SizeInfo => ({ size, manifest: {} as Manifest, genWall: null, parse: null, ndiff: { wall: 100 } as Measured });
  const judge = (results: StepResult[]): Record<string, boolean | null> =>
    Object.fromEntries(targets(results, [16, 12], [info(16), info(12)]).map((t) => [t.target.replace(/ — .*/, ''), t.met]));
  const onLimit = [...run(16, 35), ...run(12, 20)];

  test('a ratio on its limit is met where it is judged; elsewhere it is shown', () => {
    expect(judge(onLimit)).toMatchObject({
      'night-2 ingest ≤ 0.2 × ndiff, SQLite (/12)': true,
      'night-2 ingest ≤ 0.3 × ndiff, PostgreSQL (/12)': true,
      'night-2 ingest ≤ 0.35 × ndiff, SQLite (/16)': true,
      'night-2 ingest ≤ 0.3 × ndiff, PostgreSQL (/16)': null,
      '/12 night-2 ingest ≤ 2.0 × parse-only, SQLite': true,
      '/16 night-2 ingest ≤ 2.0 × parse-only, SQLite': null,
      'no-change night ≤ 1.2 × parse-only, SQLite (/12)': true,
      'no-change night ≤ 1.2 × parse-only, SQLite (/16)': true,
      'no-change night ≤ 1.2 × parse-only, PostgreSQL (/12)': null,
      '/12 first load ≤ 0.6 × baseline, SQLite': true,
      '/16 first load ≤ 0.6 × baseline, SQLite': null,
      '/12 first load ≤ 0.6 × baseline, PostgreSQL': null,
      // the baseline's 900 MB is not the build measured's
      'peak RSS ≤ 256 MB (every parse and ingest process of the build measured, both databases, all sizes)': true,
    });
  });

  const over = (size: number, db: StepResult['db'], step: string, wall: number): StepResult[] => onLimit.map((x) => (x.size === size && x.db === db && x.step === step ? { ...x, wall } : x));
  test.each([
    ['night-2 ingest ≤ 0.2 × ndiff, SQLite (/12)', over(12, 'sqlite', 'ingest night2', 20.01)],
    ['night-2 ingest ≤ 0.3 × ndiff, PostgreSQL (/12)', over(12, 'pg', 'ingest night2', 30.01)],
    ['night-2 ingest ≤ 0.35 × ndiff, SQLite (/16)', over(16, 'sqlite', 'ingest night2', 35.01)],
    ['/12 night-2 ingest ≤ 2.0 × parse-only, SQLite', over(12, '-', 'parse night2', 9.99)],
    ['no-change night ≤ 1.2 × parse-only, SQLite (/12)', over(12, 'sqlite', 'ingest night2 re-dated (no change)', 12.01)],
    ['no-change night ≤ 1.2 × parse-only, SQLite (/16)', over(16, 'sqlite', 'ingest night2 re-dated (no change)', 12.01)],
    ['/12 first load ≤ 0.6 × baseline, SQLite', over(12, 'sqlite', 'ingest night0 (first load, empty DB)', 6.01)],
  ])('just over the limit, %s is not met', (target, results) => {
    expect(judge(results)[target]).toBe(false);
  });

  test('peak RSS over 256 MB in any ingest misses; without --baseline the first load is not measured', () => {
    const rss = onLimit.map((x) => (x.redated && x.size === 16 && x.db === 'pg' ? { ...x, rssMb: 256.5 } : x));
    const t = targets(rss.filter((x) => x.baseline === undefined), [16, 12], [info(16), info(12)]);
    expect(t.find((x) => x.target.startsWith('peak RSS'))).toMatchObject({ met: false, measured: '257 MB (/16 pg ingest night2 re-dated (no change))' });
    expect(t.find((x) => x.target.startsWith('/12 first load ≤ 0.6 × baseline, SQLite'))).toEqual({ target: '/12 first load ≤ 0.6 × baseline, SQLite', measured: 'not measured (run with --baseline REF)', met: null });
  });

  test('--baseline takes a ref; none by default', () => {
    expect(parseArgs([])).toMatchObject({ baseline: null });
    expect(parseArgs(['--baseline', 'main~3'])).toMatchObject({ baseline: 'main~3' });
    expect(() => parseArgs(['--baseline'])).toThrow('--baseline needs a value');
  });
});
