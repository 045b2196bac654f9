// Claiming and target groups (DESIGN §4) through the spawned CLI on real scans: two `report`
// processes at once deliver each change exactly once; among the agents of one target group an
// equivalent change (same ip/proto/port/type, any scanner, within the window) goes out once.
import { forEachDb } from '../helpers/db';
import { ids, jsonl, ReportLab } from '../helpers/report';
import { port, up } from '../helpers/csv-scan';
import type { ChangeRow } from '../../common/types';
import type { ReportChange } from '../../output-agents/types';

const DAY = 86400e3;
const key = (c: { ip: string | null; proto: string | null; port: number | null; type: number }) => `${c.ip}|${c.proto}|${c.port}|${c.type}`;
const near = (a: { detected_at: string }, b: { detected_at: string }, windowMs = DAY) =>
  Math.abs(Date.parse(a.detected_at) - Date.parse(b.detected_at)) <= windowMs;
const equivalent = (a: ChangeRow, b: ChangeRow) => key(a) === key(b) && near(a, b);

const twice = <T>(run: () => Promise<T>) => Promise.all([run(), run()]);

forEachDb('report: concurrent runs and target groups', (db) => {
  let lab: ReportLab;
  let all: ChangeRow[];
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    await lab.ingestLab(lab.config([]), [1, 2, 3]);
    all = await lab.changes();
  });
  afterAll(() => lab.remove());

  test('two report processes at once: every change goes to the jsonl file and to the hook exactly once', async () => {
    const out = lab.path('both.jsonl');
    const hooked = all.filter((c) => c.ip !== null && ['10.66.1.10', '10.66.1.11', '10.66.1.13'].includes(c.ip));
    const config = lab.config([
      { name: 'siem', kind: 'file', path: out },
      { name: 'enrich', kind: 'hook', networks: ['10.66.1.10-11', '10.66.1.13'], command: lab.hookCommand('ok', '{{id}}'), per: 'change' },
    ]);
    const runs = await twice(() => lab.reportJson(config, [], { spawn: true }));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const lines = jsonl(out);
    expect(ids(lines)).toEqual(ids(all));
    const calls = lab.hookCalls();
    expect(calls.map((c) => Number(c.args[0])).sort((a, b) => a - b)).toEqual(ids(hooked));
    const perRun = runs.map((r) => r.results.find((x) => x.agent === 'siem')!.delivered);
    expect(perRun[0] + perRun[1]).toBe(all.length);
    expect((await lab.report(config)).stdout).toBe('siem (file): nothing new\nenrich (hook): nothing new\n');
  });

  test('duplicates: suppress — the second agent of the group gets only what the first did not report', async () => {
    const inside = lab.path('g1-in.jsonl');
    const outside = lab.path('g1-out.jsonl');
    const config = lab.config([
      // Port events only: so the outside agent has host events nobody in the group reported yet.
      { name: 'g1-in', kind: 'file', path: inside, target_group: 'g1', scanners: 'scan-in', protos: ['tcp', 'udp'] },
      { name: 'g1-out', kind: 'file', path: outside, target_group: 'g1', scanners: 'scan-out' },
    ]);
    const r = await lab.reportJson(config);
    expect(r.code).toBe(0);
    const first = jsonl(inside);
    expect(ids(first)).toEqual(ids(all.filter((c) => c.scanner === 'scan-in' && c.port !== null)));
    const fromOut = all.filter((c) => c.scanner === 'scan-out');
    const repeats = fromOut.filter((c) => first.some((f) => equivalent(f, c)));
    expect(repeats.length).toBeGreaterThan(0);
    expect(repeats.length).toBeLessThan(fromOut.length);
    expect(ids(jsonl(outside))).toEqual(ids(fromOut.filter((c) => !repeats.includes(c))));
    expect(r.results[1]).toMatchObject({ agent: 'g1-out', suppressed: repeats.length, delivered: fromOut.length - repeats.length });
    expect((await lab.report(config)).stdout).toBe('g1-in (file): nothing new\ng1-out (file): nothing new\n');
  });

  test('duplicates: confirm — the repeat goes out marked as confirming the change the group already got', async () => {
    const inside = lab.path('g2-in.jsonl');
    const outside = lab.path('g2-out.jsonl');
    const config = lab.config([
      { name: 'g2-in', kind: 'file', path: inside, target_group: 'g2', scanners: 'scan-in' },
      { name: 'g2-out', kind: 'file', path: outside, target_group: 'g2', scanners: 'scan-out', duplicates: 'confirm' },
    ]);
    expect((await lab.report(config, ['--agent', 'g2-in'])).code).toBe(0);
    const r = await lab.report(config, ['--agent', 'g2-out']);
    const first = jsonl(inside);
    const got = jsonl(outside);
    expect(ids(got)).toEqual(ids(all.filter((c) => c.scanner === 'scan-out')));
    const confirming = got.filter((c) => c.confirms !== null);
    expect(confirming.length).toBeGreaterThan(0);
    for (const c of got) {
      const origin = first.find((f) => equivalent(f, c));
      expect([c.id, c.confirms]).toEqual([c.id, origin ? origin.id : null]);
    }
    expect(r.stdout).toBe(`g2-out (file): ${got.length} changes delivered (${confirming.length} confirming a known change)\n`);
  });

  test('two agents of one group running at once: each equivalent change goes out once, none is lost', async () => {
    const inside = lab.path('g3-in.jsonl');
    const outside = lab.path('g3-out.jsonl');
    const config = lab.config([
      { name: 'g3-in', kind: 'file', path: inside, target_group: 'g3', scanners: 'scan-in' },
      { name: 'g3-out', kind: 'file', path: outside, target_group: 'g3', scanners: 'scan-out' },
    ]);
    // Two processes: in-process commands cannot run at the same time (test/helpers/cli.ts).
    const runs = await Promise.all([lab.reportJson(config, ['--agent', 'g3-in'], { spawn: true }), lab.reportJson(config, ['--agent', 'g3-out'], { spawn: true })]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const sent: ReportChange[] = [...jsonl(inside), ...jsonl(outside)];
    const suppressed = runs[0].results[0].suppressed + runs[1].results[0].suppressed;
    expect(sent.length + suppressed).toBe(all.length);
    // No two sent changes are the same event ...
    for (const a of sent) expect(sent.filter((b) => b.id !== a.id && equivalent(a, b))).toEqual([]);
    // ... and every change that was not sent has its equivalent among the sent ones.
    const notSent = all.filter((c) => !sent.some((s) => s.id === c.id));
    expect(notSent).toHaveLength(suppressed);
    for (const c of notSent) expect(sent.some((s) => equivalent(s, c))).toBe(true);
  });
});

forEachDb('report: the duplicate window', (db) => {
  // One scanner; port 80 re-opens on night 3 and again on night 5: the same event type, two days apart.
  const nights = [[up('10.9.0.1'), port('10.9.0.1', 80)], [up('10.9.0.1')], [up('10.9.0.1'), port('10.9.0.1', 80)], [up('10.9.0.1')], [up('10.9.0.1'), port('10.9.0.1', 80)]];

  test.each([
    ['24h (default): a re-opening two days later is a new event', undefined, 2],
    ['3d: the second re-opening repeats the first and is suppressed', '3d', 1],
  ])('%s', async (_t, window, expected) => {
    const lab = new ReportLab(db.fresh());
    try {
      const out = lab.path('w.jsonl');
      const config = lab.config([{ name: 'w', kind: 'file', path: out, target_group: 'ops', types: 'port_reopened', ...(window ? { duplicate_window: window } : {}) }], { t: {} });
      await lab.ingest(config, ...lab.scratch.series(nights, { scanner: 't' }));
      const reopened = (await lab.changes()).filter((c) => c.types.includes('port_reopened'));
      expect(reopened).toHaveLength(2);
      const r = await lab.reportJson(config);
      expect(r.results[0]).toMatchObject({ delivered: expected, suppressed: 2 - expected });
      expect(ids(jsonl(out))).toEqual(ids(reopened).slice(0, expected));
    } finally {
      lab.remove();
    }
  });
});
