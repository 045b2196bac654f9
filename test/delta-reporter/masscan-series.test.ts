// The masscan `series` of lab-a reproduced through the CLI on both databases, for all three masscan
// formats (and -oD, written from the -oJ records): with the scope masscan was run with supplied,
// after each file the new rows of `changes --json` are exactly that file's events. Without a scope,
// the ingest says that no absence was concluded, and nothing is ever closed or taken down.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { FIXTURES } from '../helpers/cli';
import { Session } from '../helpers/session';
import { Scratch } from '../helpers/csv-scan';
import { fromChange, sorted } from '../helpers/oracle';
import { masscanScope, masscanSeries, type MasscanSeries } from '../helpers/masscan-series';

const SERIES = masscanSeries();
const { scope, ports } = masscanScope();
const oD = (night: number) => path.join(FIXTURES, 'made', 'masscan', `night${night}-oD.ndjson`);
// -oD carries the very records of the -oJ run of the same night, so the -oJ truth is its truth.
const ND: MasscanSeries[] = SERIES.filter((s) => s.scanner === 'scan-in' && s.series === 'masscan-json')
  .map((s) => ({ ...s, series: 'masscan -oD', files: s.files.map((f) => ({ ...f, file: oD(f.night) })) }));

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

test('the ground truth holds a masscan series of each format for both scanners', () => {
  expect(SERIES.map((s) => `${s.scanner}/${s.series}`).sort()).toEqual(
    ['scan-in', 'scan-out'].flatMap((sc) => ['masscan-json', 'masscan-list', 'masscan-xml'].map((f) => `${sc}/${f}`)),
  );
  expect(SERIES.every((s) => s.files.length >= 2)).toBe(true);
});

forEachDb('masscan series of lab-a', (db) => {
  for (const s of [...SERIES, ...ND]) {
    test(`${s.scanner} ${s.series}: with --scope and --ports, exactly the ground-truth events after each file`, async () => {
      const session = new Session(db.fresh(), { scanner: s.scanner });
      for (const f of s.files) {
        const { summaries, added } = await session.ingestArgs(['--scope', scope, '--ports', ports, f.file]);
        expect(summaries[0]).toMatchObject({ status: 'applied', complete: true, absence: { hosts: true, ports: true } });
        expect({ night: f.night, events: sorted(added.map(fromChange)) }).toEqual({ night: f.night, events: sorted(f.expected) });
      }
    });
  }

  test('the same scope from the scanner config gives the same events as from the command line', async () => {
    const s = SERIES.find((x) => x.scanner === 'scan-in' && x.series === 'masscan-list')!;
    const config = scratch.config({ 'scan-in': { scope: [scope], ports } });
    const session = new Session(db.fresh(), { scanner: 'scan-in', config });
    for (const f of s.files) {
      const { added } = await session.ingest(f.file);
      expect(sorted(added.map(fromChange))).toEqual(sorted(f.expected));
    }
  });

  for (const series of ['masscan-xml', 'masscan-json', 'masscan-list']) {
    test(`${series} without a scope: the summary says no absence was concluded, and nothing is closed or taken down`, async () => {
      const s = SERIES.find((x) => x.scanner === 'scan-in' && x.series === series)!;
      const session = new Session(db.fresh(), { scanner: 'scan-in' });
      for (const f of s.files) {
        const { summaries, added } = await session.ingest(f.file);
        expect(summaries[0]).toMatchObject({ status: 'applied', complete: true, absence: { hosts: false, ports: false } });
        expect(summaries[0].warnings.join('\n')).toMatch(/no absence is concluded/);
        expect(added.filter((c) => (c.type & (2 | 16)) !== 0)).toEqual([]);
        // What appeared for the first time is still reported (returns and re-openings need a close first).
        const got = new Set(added.map((c) => JSON.stringify(fromChange(c))));
        const returning = new Set(f.expected.filter((e) => e.port === null && e.returning).map((e) => e.ip));
        const firsts = f.expected.filter((e) => e.type === 8 || ((e.type === 1 || e.type === 9) && !returning.has(e.ip)));
        expect(firsts.filter((e) => !got.has(JSON.stringify(e)))).toEqual([]);
      }
      const text = await new Session(db.fresh()).run(['ingest', '--scanner', 'scan-in', s.files[0].file]);
      expect(text.stdout).toMatch(/no absence concluded \(scope unknown\)/);
    });
  }
});
