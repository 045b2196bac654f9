// include_disagreements through the spawned CLI: an agent gets the disagreements of the groups its
// changes come from (scanner_groups, else the groups of its scanners, else all), and a run with no
// new change sends nothing, disagreements or not (they are a standing condition: `disagreements`).
import fs from 'node:fs';
import { forEachDb } from '../helpers/db';
import { ReportLab } from '../helpers/report';
import { csvText, night, port, up } from '../helpers/csv-scan';

const SCANNERS = { a1: { group: 'ga' }, a2: { group: 'ga' }, b1: { group: 'gb' }, b2: { group: 'gb' } };

/** The groups named in the text report's disagreement section, in order. */
const groupsIn = (text: string) => [...text.matchAll(/\(group (\w+)\)\n/g)].map((m) => m[1]);

forEachDb('report: include_disagreements', (db) => {
  let lab: ReportLab;
  const config = (agents: object[]) => lab.config(agents, SCANNERS);
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    // ga disagrees on 10.9.0.1:22, gb on 10.9.0.2:80: one member lists it open, the other's complete scan does not.
    const scan = (scanner: string, rows: string[]) => lab.scratch.write(`${scanner}.csv`, csvText({ scanner, started: night(1), rows }));
    await lab.ingest(config([]),
      scan('a1', [up('10.9.0.1'), port('10.9.0.1', 22)]), scan('a2', [up('10.9.0.1')]),
      scan('b1', [up('10.9.0.2'), port('10.9.0.2', 80)]), scan('b2', [up('10.9.0.2')]));
  });
  afterAll(() => lab.remove());

  test.each([
    ['no scanner filter: every group', {}, ['ga', 'gb']],
    ['scanners: [a1]: the groups of those scanners only', { scanners: ['a1'] }, ['ga']],
    ['scanners: [a1, b2]: both their groups', { scanners: ['a1', 'b2'] }, ['ga', 'gb']],
    ['scanner_groups: [gb]: that group, whatever the scanners', { scanner_groups: ['gb'] }, ['gb']],
  ])('%s', async (_t, filter, want) => {
    const name = `d-${Object.values(filter).flat().join('-') || 'all'}`;
    const out = lab.path(`${name}.txt`);
    const cfg = config([{ name, kind: 'file', format: 'text', path: out, include_disagreements: true, ...filter }]);
    expect((await lab.report(cfg)).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(groupsIn(text)).toEqual(want);
    expect(text).toContain(`Scanner groups that disagree (${want.length})`);
  });

  test('a run with no new change sends nothing, even with disagreements to report', async () => {
    const out = lab.path('standing.txt');
    const cfg = config([{ name: 'standing', kind: 'file', format: 'text', path: out, include_disagreements: true }]);
    expect((await lab.report(cfg)).code).toBe(0);
    const first = fs.readFileSync(out, 'utf8');
    expect(groupsIn(first)).toEqual(['ga', 'gb']);
    const again = await lab.report(cfg);
    expect([again.code, again.stdout]).toEqual([0, 'standing (file): nothing new\n']);
    expect(fs.readFileSync(out, 'utf8')).toBe(first);
  });
});
