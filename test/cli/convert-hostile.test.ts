// `convert` keeps hostile names exactly: ingesting a native scan and ingesting its uniform CSV
// (written by `portdelta convert`) store the same hosts, names and changes, on both databases.
// The names (test/fixtures/hostile, tools/make-hostile-fixtures.js) carry ESC, BEL, CR/LF, DEL, C1,
// bidi overrides and isolates, quotes and commas, edge blanks, Slack markup, shell syntax, and a
// line that looks like a '#complete=' header; the CSV nights carry a NUL too.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, FIXTURES } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';

const HOSTILE = path.join(FIXTURES, 'hostile');
const nights = (ext: string) => [1, 2].map((n) => path.join(HOSTILE, `night${n}.${ext}`));

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

const withoutIds = <T extends { id: number; scan_id: number }>(rows: T[]) => rows.map(({ id: _i, scan_id: _s, ...rest }) => rest);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

forEachDb('convert keeps hostile names', (db) => {
  for (const ext of ['xml', 'csv']) {
    test(`${ext}: native and converted ingests store the same 16 hostile names, hosts and changes`, async () => {
      const native = new Session(db.fresh(), { scanner: 'hx' });
      const converted = new Session(db.fresh());
      for (const [i, file] of nights(ext).entries()) {
        await native.ingest(file);
        const out = await cli(['convert', '--scanner', 'hx', file]);
        expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
        await converted.ingest(scratch.write(`hostile-${ext}-${i}.csv`, out.stdout));
      }
      const [x, y] = [await native.snapshot(), await converted.snapshot()];
      const names = (s: typeof x) => s.changes.flatMap((c) => [c.hostname, c.previous_hostname]).filter((n) => n !== null);
      // Every name reached the store with its control characters (only NUL is dropped, by both paths).
      expect(new Set(names(x)).size).toBe(16);
      expect(names(x).filter((n) => CONTROL.test(n!)).length).toBeGreaterThanOrEqual(8);
      expect(names(x)).toContain('line1\r\nline2.example');
      expect(names(x)).toContain('  edge blanks\t');
      expect(names(x).some((n) => n!.includes('\0'))).toBe(false);
      expect({ changes: withoutIds(y.changes), state: y.state, hosts: y.hosts }).toEqual({ changes: withoutIds(x.changes), state: x.state, hosts: x.hosts });
    });
  }

  test('the converted CSV of the hostile scan forges no row and no header line', async () => {
    const out = await cli(['convert', '--scanner', 'hx', nights('xml')[1]]);
    expect(out.code).toBe(0);
    // The streaming writer's own '#complete=false' header, its '#complete=true' trailer; the name's line stands in quotes.
    const header = out.stdout.slice(0, out.stdout.indexOf('\nip,')).split('\n');
    expect(header.filter((l) => l.startsWith('#complete'))).toEqual(['#complete=false']);
    expect(out.stdout.trimEnd().split('\n').pop()).toBe('#complete=true');
    expect(out.stdout).toContain(',"\n#complete=false",');
    const s = new Session(db.fresh());
    const [summary] = (await s.ingest(scratch.write('hostile-night2.csv', out.stdout))).summaries;
    expect(summary).toMatchObject({ status: 'applied', complete: true, hosts_up: 8 });
  });
});
