// `convert` end to end: for every format, ingesting the native files and ingesting their uniform
// CSV (written by `portdelta convert`) leave the same changes, state and hosts, on both databases.
// Bad input fails with exit 2, the file and position named, and nothing on stdout.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, FIXTURES, SCANS } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';
import { masscanScope } from '../helpers/masscan-series';

const lab = (night: number, file: string, scanner = 'scan-in') => path.join(SCANS, 'lab-a', `night${night}`, scanner, file);
const made = (f: string) => path.join(FIXTURES, 'made', f);
const { scope, ports } = masscanScope();
const MASSCAN = ['--scope', scope, '--ports', ports];

interface Case {
  name: string;
  scanner: string;
  files: string[];
  opts?: string[];
}

const CASES: Case[] = [
  { name: 'nmap-xml', scanner: 'scan-in', files: [1, 2, 3, 4, 5, 6].map((n) => lab(n, 'nmap-tcp.xml')) },
  { name: 'nmap-xml with a truncated scan', scanner: 'scan-out', files: [3, 4, 5].map((n) => lab(n, 'nmap-tcp.xml', 'scan-out')) },
  { name: 'nmap-grepable', scanner: 'scan-in', files: [1, 2, 3, 4, 5, 6].map((n) => lab(n, 'nmap-tcp.gnmap')) },
  { name: 'masscan-xml', scanner: 'scan-in', files: [2, 4, 6].map((n) => lab(n, 'masscan.xml')), opts: MASSCAN },
  { name: 'masscan-json', scanner: 'scan-in', files: [2, 4, 6].map((n) => lab(n, 'masscan.json')), opts: MASSCAN },
  { name: 'masscan-list', scanner: 'scan-in', files: [2, 4, 6].map((n) => lab(n, 'masscan.list')), opts: MASSCAN },
  { name: 'masscan-list without a scope', scanner: 'scan-in', files: [2, 4, 6].map((n) => lab(n, 'masscan.list')) },
  { name: 'masscan -oD, then a killed -oJ run', scanner: 'scan-in', files: [made('masscan/night2-oD.ndjson'), made('masscan/night4-oD.ndjson'), made('masscan/night6-killed.json')], opts: MASSCAN },
  { name: 'masscan 1.0.x -oJ spellings', scanner: 'scan-in', files: [lab(4, 'masscan.json'), made('masscan/night6-bare-keys.json')], opts: MASSCAN },
  { name: 'zmap-csv', scanner: 'zmap', files: [made('zmap/night1.csv'), made('zmap/night2.csv')], opts: ['--scope', '127.0.40.0/29', '--ports', '8080'] },
  { name: 'naabu-json', scanner: 'scan-in', files: [2, 4, 6].map((n) => made(`naabu/night${n}.json`)), opts: MASSCAN },
];

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

const withoutIds = <T extends { id: number; scan_id: number }>(rows: T[]) => rows.map(({ id: _i, scan_id: _s, ...rest }) => rest);
// The uniform CSV has no columns for service fingerprints and certificates (docs/formats.md): the
// state of a converted -sV scan has none, everything else is the same.
const withoutFacts = (rows: object[]) => rows.map((r) => {
  const { service: _s, cert: _c, ...rest } = r as { service?: unknown; cert?: unknown };
  return rest;
});

forEachDb('convert round trip', (db) => {
  for (const c of CASES) {
    test(`${c.name}: ingest(native) and ingest(convert(native)) leave the same changes, state and hosts`, async () => {
      // -oG headers carry local time: the scanner's zone is set, for convert as for ingest.
      const config = scratch.config({ [c.scanner]: { timezone: 'UTC' } });
      const native = new Session(db.fresh(), { config, scanner: c.scanner });
      const converted = new Session(db.fresh(), { config });
      for (const [i, file] of c.files.entries()) {
        const a = await native.ingestArgs([...(c.opts ?? []), file]);
        const out = await cli(['--config', config, 'convert', '--scanner', c.scanner, ...(c.opts ?? []), file]);
        expect({ code: out.code, stderr: out.stderr.replace(/^.*warning.*\n/gm, '') }).toEqual({ code: 0, stderr: '' });
        expect(out.stdout.startsWith('#portdelta-csv v1\n')).toBe(true);
        const b = await converted.ingest(scratch.write(`${c.scanner}-${i}-${path.basename(file)}.csv`, out.stdout));
        expect(b.summaries[0]).toMatchObject({ format: 'portdelta-csv', scanner: c.scanner, status: a.summaries[0].status, complete: a.summaries[0].complete, absence: a.summaries[0].absence });
        expect(withoutIds(b.added)).toEqual(withoutIds(a.added));
      }
      const [x, y] = [await native.snapshot(), await converted.snapshot()];
      expect(x.changes.length).toBeGreaterThan(0);
      expect({ changes: withoutIds(y.changes), state: withoutFacts(y.state), hosts: y.hosts }).toEqual({ changes: withoutIds(x.changes), state: withoutFacts(x.state), hosts: x.hosts });
    });
  }
});

describe('convert of bad input', () => {
  test('content of no known format: exit 2, the file and a remedy named, nothing on stdout', async () => {
    const file = scratch.write('junk.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    const r = await cli(['convert', file]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/remedy: give --format with one of: .*masscan-json/);
  });

  test('a bad record deep in a large file (past the in-memory spool): exit 2, its line named, nothing on stdout', async () => {
    const lines = Array.from({ length: 120000 }, (_, i) => `open tcp ${1 + (i % 60000)} 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 1741058400`);
    const good = scratch.write('big.list', `#masscan\n${lines.join('\n')}\n# end\n`);
    const ok = await cli(['convert', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n').filter((l) => /^10\./.test(l))).toHaveLength(120000);
    expect(ok.stdout.length).toBeGreaterThan(4 << 20);

    // A time no scan can have fails the file (a damaged record alone would be skipped: below).
    const bad = scratch.write('bad.list', `#masscan\n${lines.join('\n')}\nopen tcp 22 10.0.0.1 9999999999\n# end\n`);
    const r = await cli(['convert', bad]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain(`${bad}: line 120002`);
    expect(r.stderr).toMatch(/remedy:/);
  });

  test('a damaged record is skipped with a warning naming its line, and the CSV says the scan is incomplete', async () => {
    const bad = scratch.write('damaged.list', '#masscan\nopen tcp 22 10.0.0.1 1741058400\nopen tcp 99999 10.0.0.2 1741058400\n# end\n');
    const r = await cli(['convert', bad]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/line 3: damaged record skipped: port '99999'/);
    expect(r.stdout).toContain('#complete=false');
    expect(r.stdout).toContain('10.0.0.1,tcp,22,open');
    expect(r.stdout).not.toContain('10.0.0.2');
  });

  test('bad options: exit 2 with the option named, nothing on stdout', async () => {
    for (const args of [['--format', 'nope'], ['--scope', '10.0.0.0/99'], ['--ports', '1-99999'], ['--scanner', 'a b']]) {
      const r = await cli(['convert', ...args, lab(2, 'masscan.list')]);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
    }
  });

  test('stdin works like a file', async () => {
    const fromFile = await cli(['convert', '--scanner', 's', lab(2, 'masscan.list')]);
    const { readFileSync } = await import('node:fs');
    const fromStdin = await cli(['convert', '--scanner', 's', '-'], { input: readFileSync(lab(2, 'masscan.list')) });
    expect(fromStdin).toEqual(fromFile);
  });
});
