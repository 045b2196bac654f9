// `report` end to end on real scans (lab-a through the spawned CLI): each filter of an output agent
// selects exactly the changes `changes --json` says match it; a change goes out once; after a new
// night only the new changes go out; --dry-run shows the same and records nothing.
import { forEachDb } from '../helpers/db';
import { ids, jsonl, ReportLab } from '../helpers/report';
import { ipKey } from '../../common/ip';
import type { ChangeRow } from '../../common/types';

const inRange = (ip: string, lo: string, hi: string) => ipKey(ip) >= ipKey(lo) && ipKey(ip) <= ipKey(hi);

/** [title, the agent's filter keys, the same filter written as a predicate over `changes --json`]. */
const FILTERS: Array<[string, Record<string, unknown>, (c: ChangeRow) => boolean]> = [
  ['types as names', { types: ['new_port', 'port_reopened'] }, (c) => c.types.includes('new_port') || c.types.includes('port_reopened')],
  ['types as a mask', { types: 18 }, (c) => c.types.includes('host_down') || c.types.includes('port_closed')],
  ['networks', { networks: ['10.66.1.10/31', '10.66.1.53'] }, (c) => inRange(c.ip!, '10.66.1.10', '10.66.1.11') || c.ip === '10.66.1.53'],
  ['scanners', { scanners: ['scan-out'] }, (c) => c.scanner === 'scan-out'],
  ['scanner_groups', { scanner_groups: 'inside' }, (c) => c.group === 'inside'],
  ['ports (a bare port means every protocol; host events never match)', { ports: '22,80-443,U:161' }, (c) =>
    c.port !== null && (c.port === 22 || (c.port >= 80 && c.port <= 443) || (c.proto === 'udp' && c.port === 161))],
  ['protos', { protos: ['udp'] }, (c) => c.proto === 'udp'],
  ['several filters at once', { types: 'new_host', scanners: 'scan-in', networks: '10.66.1.10-20' }, (c) =>
    c.types.includes('new_host') && c.scanner === 'scan-in' && inRange(c.ip!, '10.66.1.10', '10.66.1.20')],
];

forEachDb('report: filters and repeated runs', (db) => {
  let lab: ReportLab;
  let all: ChangeRow[];
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    await lab.ingestLab(lab.config([]), [1, 2, 3, 4, 5, 6]);
    all = await lab.changes();
  });
  afterAll(() => lab.remove());

  test.each(FILTERS)('%s: the agent gets exactly the matching changes, each once, and nothing on the next run', async (title, filter, matches) => {
    const name = title.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '');
    const out = lab.path(`${name}.jsonl`);
    const config = lab.config([{ name, kind: 'file', path: out, ...filter }]);
    const want = ids(all.filter(matches));
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(all.length);

    const first = await lab.reportJson(config);
    expect(first.code).toBe(0);
    expect(first.results).toEqual([expect.objectContaining({ agent: name, kind: 'file', status: 'ok', delivered: want.length })]);
    expect(ids(jsonl(out))).toEqual(want);

    const second = await lab.report(config);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`${name} (file): nothing new\n`);
    expect(ids(jsonl(out))).toEqual(want);
  });

  test('scanner_groups follow the current config, not the group stored at ingest, and each line carries the current group', async () => {
    // Ingested with scan-in in `inside` and scan-out in `outside`; now scan-in is in no group and scan-out moved to `inside`.
    const fromIn = ids(all.filter((c) => c.scanner === 'scan-in'));
    const fromOut = ids(all.filter((c) => c.scanner === 'scan-out'));
    const moved = lab.config([
      { name: 'grp-inside', kind: 'file', path: lab.path('grp-inside.jsonl'), scanner_groups: 'inside' },
      { name: 'grp-outside', kind: 'file', path: lab.path('grp-outside.jsonl'), scanner_groups: 'outside' },
    ], { 'scan-in': {}, 'scan-out': { group: 'inside' } });
    expect((await lab.report(moved)).code).toBe(0);
    expect(ids(jsonl(lab.path('grp-inside.jsonl')))).toEqual(fromOut);
    expect(new Set(jsonl(lab.path('grp-inside.jsonl')).map((c) => c.group))).toEqual(new Set(['inside']));
    expect(jsonl(lab.path('grp-outside.jsonl'))).toEqual([]);

    // A scanner the config does not list keeps the group of its last ingest.
    const unlisted = lab.config([{ name: 'grp-unlisted', kind: 'file', path: lab.path('grp-unlisted.jsonl'), scanner_groups: ['inside'] }], { 'scan-out': { group: 'outside' } });
    expect((await lab.report(unlisted)).code).toBe(0);
    expect(ids(jsonl(lab.path('grp-unlisted.jsonl')))).toEqual(fromIn);
    expect(new Set(jsonl(lab.path('grp-unlisted.jsonl')).map((c) => c.group))).toEqual(new Set(['inside']));
  });

  test('a delivered line carries the change as `changes --json` has it, plus scan time, words and policy', async () => {
    const out = lab.path('full.jsonl');
    await lab.report(lab.config([{ name: 'full', kind: 'file', path: out, networks: '10.66.1.12' }]));
    const got = jsonl(out);
    const byId = new Map(all.map((c) => [c.id, c]));
    expect(got.length).toBeGreaterThan(0);
    for (const c of got) {
      const { confirms, scan_time, policy, text, ...row } = c;
      expect(row).toEqual(byId.get(c.id));
      expect(confirms).toBeNull();
      expect(policy).toEqual({ expected: null, owner: null, note: null });
      expect(typeof text).toBe('string');
      expect(text.length).toBeGreaterThan(0);
      expect(Date.parse(scan_time!)).toBeLessThanOrEqual(Date.parse(c.detected_at));
    }
  });

  test('--dry-run lists what each agent would take and records nothing; the real run then delivers it all', async () => {
    const outA = lab.path('dry-a.jsonl');
    const outB = lab.path('dry-b.jsonl');
    const config = lab.config([
      { name: 'dry-a', kind: 'file', path: outA, types: 'new_host' },
      { name: 'dry-b', kind: 'file', path: outB, scanners: 'scan-out', protos: 'tcp' },
    ]);
    const wantA = ids(all.filter((c) => c.types.includes('new_host')));
    const wantB = ids(all.filter((c) => c.scanner === 'scan-out' && c.proto === 'tcp'));
    for (let i = 0; i < 2; i++) {
      const dry = await lab.reportJson(config, ['--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.results.map((r) => [r.agent, r.status, ids(r.would!)])).toEqual([['dry-a', 'dry-run', wantA], ['dry-b', 'dry-run', wantB]]);
      expect(jsonl(outA)).toEqual([]);
      expect(jsonl(outB)).toEqual([]);
    }
    const text = await lab.report(config, ['--dry-run', '--agent', 'dry-b']);
    expect(text.stdout.split('\n')[0]).toBe(`dry-b (file): would take ${wantB.length} changes: ${wantB.length} changes to send`);
    expect(text.stdout).toContain(`${String(wantB[0]).padStart(6)}  `);

    expect((await lab.report(config)).code).toBe(0);
    expect(ids(jsonl(outA))).toEqual(wantA);
    expect(ids(jsonl(outB))).toEqual(wantB);
  });

  test('--agent runs only the named agents; an unknown name is a usage error that lists the configured ones', async () => {
    const config = lab.config([
      { name: 'only-x', kind: 'file', path: lab.path('only-x.jsonl') },
      { name: 'only-y', kind: 'file', path: lab.path('only-y.jsonl') },
    ]);
    const r = await lab.reportJson(config, ['--agent', 'only-y']);
    expect(r.results.map((x) => x.agent)).toEqual(['only-y']);
    expect(jsonl(lab.path('only-x.jsonl'))).toEqual([]);
    expect(jsonl(lab.path('only-y.jsonl'))).toHaveLength(all.length);

    const bad = await lab.report(config, ['--agent', 'only-y', '--agent', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no output agent named 'nope'");
    expect(bad.stderr).toContain('only-x, only-y');
  });
});

forEachDb('report: a new night', (db) => {
  test('after a new night is ingested, only the changes it added go out', async () => {
    const lab = new ReportLab(db.fresh());
    try {
      const out = lab.path('siem.jsonl');
      const config = lab.config([{ name: 'siem', kind: 'file', path: out, format: 'jsonl' }]);
      await lab.ingestLab(config, [1, 2, 3]);
      const before = ids(await lab.changes());
      expect((await lab.report(config)).code).toBe(0);
      expect(ids(jsonl(out))).toEqual(before);

      await lab.ingestLab(config, [4]);
      const added = ids(await lab.changes()).filter((id) => !before.includes(id));
      expect(added.length).toBeGreaterThan(0);
      const r = await lab.report(config);
      expect(r.stdout).toBe(`siem (file): ${added.length} changes delivered\n`);
      expect(ids(jsonl(out))).toEqual([...before, ...added]);
      expect(jsonl(out).slice(before.length).map((c) => c.id)).toEqual(added);
    } finally {
      lab.remove();
    }
  });
});
