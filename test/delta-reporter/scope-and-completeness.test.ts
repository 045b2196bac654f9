// What absence means (DESIGN §2, §3), on real nmap output made against loopback by
// tools/make-loopback-fixtures.sh (test/fixtures/made/README.md): a narrower port scope, another
// subnet, or a truncated file proves nothing missing. Also re-ingesting a file, and an older file.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { FIXTURES, SCANS } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';

const MADE = path.join(FIXTURES, 'made');
const made = (name: string, ext: string) => path.join(MADE, `${name}.${ext}`);
const FORMATS = [
  ['xml', 'nmap-xml'],
  ['gnmap', 'nmap-grepable'],
] as const;

/** What the fixtures hold, read from the full-port scan itself (so a re-made set still fits). */
function openInFullScan(): string[] {
  const gnmap = fs.readFileSync(made('a-full-ports', 'gnmap'), 'utf8');
  return [...gnmap.matchAll(/^Host: (\S+) .*Ports: (.*?)\t/gm)].flatMap(([, ip, list]) =>
    [...list.matchAll(/(\d+)\/open\/tcp/g)].map(([, p]) => `${ip} ${p}/tcp`),
  );
}

const lab = (night: number) => path.join(SCANS, 'lab-a', `night${night}`, 'scan-in', 'nmap-tcp.xml');

const LOSS = 2 | 16; // host_down | port_closed
const losses = <T extends { type: number }>(rows: T[]): T[] => rows.filter((c) => (c.type & LOSS) !== 0);
const portsOf = (rows: { ip: string; port: number; proto: string }[]) => rows.map((r) => `${r.ip} ${r.port}/${r.proto}`);

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());
const config = () => scratch.config({ lo: { timezone: 'UTC' } });

test('the made fixtures hold what the tests rely on', () => {
  const open = openInFullScan();
  expect(open).toContain('127.0.20.1 40123/tcp');
  expect(open.length).toBeGreaterThanOrEqual(3);
  const top100 = fs.readFileSync(made('b-top100', 'xml'), 'utf8');
  expect(top100).toMatch(/top-ports 100 /);
  expect(top100).not.toMatch(/portid="40123"/);
  expect(fs.readFileSync(made('e-truncated', 'xml'), 'utf8')).not.toMatch(/<\/nmaprun>/);
  expect(fs.readFileSync(made('e-truncated', 'gnmap'), 'utf8')).not.toMatch(/# Nmap done/);
});

forEachDb('scope and completeness on real loopback scans', (db) => {
  for (const [ext, format] of FORMATS) {
    describe(`${format}`, () => {
      test('a top-100 scan after a full-port scan closes no port outside the top 100 and takes no host down', async () => {
        const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
        const first = await s.ingest(made('a-full-ports', ext));
        expect(first.summaries[0]).toMatchObject({ status: 'applied', complete: true, format });
        expect(portsOf(await s.state()).sort()).toEqual(openInFullScan().sort());

        const second = await s.ingest(made('b-top100', ext));
        expect(second.summaries[0]).toMatchObject({ status: 'applied', complete: true });
        expect(losses(second.added)).toEqual([]);
        expect(portsOf(await s.state())).toContain('127.0.20.1 40123/tcp');
        expect((await s.hosts()).filter((h) => h.status !== 'up')).toEqual([]);
      });

      test('(control) the same top-100 scan, said to cover every port, does close 40123', async () => {
        const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
        await s.ingest(made('a-full-ports', ext));
        const second = await s.ingestArgs(['--ports', '1-65535', made('b-top100', ext)]);
        expect(losses(second.added).map((c) => `${c.ip} ${c.port}/${c.proto} ${c.type}`)).toEqual(['127.0.20.1 40123/tcp 16']);
      });

      test('a scan of another subnet takes no host of the first subnet down', async () => {
        const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
        await s.ingest(made('c-subnet20', ext));
        const before = await s.hosts();
        expect(before.filter((h) => h.ip.startsWith('127.0.20.')).length).toBeGreaterThan(0);

        const other = await s.ingest(made('d-subnet21', ext));
        expect(other.summaries[0]).toMatchObject({ status: 'applied', complete: true });
        expect(other.added.filter((c) => c.ip!.startsWith('127.0.20.'))).toEqual([]);
        expect(other.added.filter((c) => c.ip!.startsWith('127.0.21.')).length).toBeGreaterThan(0);
        const after = await s.hosts();
        expect(after.filter((h) => h.ip.startsWith('127.0.20.'))).toEqual(before);
      });

      test('(control) the other subnet\'s scan, said to cover both subnets, does take 127.0.20.x down', async () => {
        // Every known host goes at once: max_absence would hold that back for a scan (scanner-health.test.ts); off here, where scope is the point.
        const s = new Session(db.fresh(), { config: scratch.config({ lo: { timezone: 'UTC', max_absence: '100%' } }), scanner: 'lo' });
        const first = await s.ingest(made('c-subnet20', ext));
        const other = await s.ingestArgs(['--scope', '127.0.20.0/23', made('d-subnet21', ext)]);
        const down = other.added.filter((c) => c.port === null && c.type === 2).map((c) => c.ip);
        expect(down.sort()).toEqual(first.added.filter((c) => c.port === null).map((c) => c.ip).sort());
      });

      test('a truncated file after a complete scan is incomplete and closes nothing, takes nothing down', async () => {
        const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
        await s.ingest(made('a-full-ports', ext));
        const before = await s.state();
        const hostsBefore = await s.hosts();

        const cut = await s.ingest(made('e-truncated', ext));
        expect(cut.summaries[0]).toMatchObject({ status: 'applied', complete: false, format });
        expect(cut.summaries[0].hosts_up).toBeLessThan(hostsBefore.length);
        expect(losses(cut.added)).toEqual([]);
        expect(portsOf(await s.state())).toEqual(portsOf(before));
        expect((await s.hosts()).map((h) => [h.ip, h.status])).toEqual(hostsBefore.map((h) => [h.ip, h.status]));
      });
    });
  }

  test('re-ingesting the same file changes nothing: status duplicate, no new change, same state', async () => {
    const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
    const first = await s.ingest(made('a-full-ports', 'xml'));
    expect(first.added.length).toBeGreaterThan(0);
    const before = await s.snapshot();

    const again = await s.ingest(made('a-full-ports', 'xml'));
    expect(again.summaries[0]).toMatchObject({ status: 'duplicate', change_count: 0 });
    expect(again.summaries[0].scan_id).toBe(first.summaries[0].scan_id);
    expect(again.added).toEqual([]);
    expect(await s.snapshot()).toEqual(before);
  });

  test('the same bytes from stdin are a duplicate too', async () => {
    const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
    await s.ingest(made('c-subnet20', 'xml'));
    const before = await s.snapshot();
    const r = await s.run(['ingest', '--scanner', 'lo', '--json', '-'], fs.readFileSync(made('c-subnet20', 'xml')));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ status: 'duplicate', change_count: 0 });
    expect(await s.snapshot()).toEqual(before);
  });

  test('a file older than the newest applied scan is recorded as stale and changes nothing', async () => {
    const s = new Session(db.fresh(), { config: scratch.config({ 'scan-in': { timezone: 'UTC' } }), scanner: 'scan-in' });
    const newer = await s.ingest(lab(2));
    expect(newer.summaries[0].status).toBe('applied');
    const before = await s.snapshot();

    const older = await s.ingest(lab(1));
    expect(older.summaries[0]).toMatchObject({ status: 'stale', change_count: 0 });
    expect(older.summaries[0].scan_id).not.toBe(newer.summaries[0].scan_id);
    expect(older.added).toEqual([]);
    expect(await s.snapshot()).toEqual(before);

    // Stale is recorded, so the same older file again is a duplicate of it, not a second stale scan.
    const again = await s.ingest(lab(1));
    expect(again.summaries[0]).toMatchObject({ status: 'duplicate', scan_id: older.summaries[0].scan_id });
  });

  test('a file that records no scan time does not make the next real scans stale', async () => {
    // Dr. Portscan's lines 'ip,port,proto' may come without a timestamp (DESIGN §5); the scan time is
    // taken "from the file, never the import time" (§2), so such a file cannot be the newest scan.
    const s = new Session(db.fresh(), { config: scratch.config({ 'scan-in': { timezone: 'UTC' } }), scanner: 'scan-in' });
    const undated = await s.ingest(scratch.write('undated.csv', '10.66.1.10,22,tcp\n10.66.1.10,80,tcp\n'));
    expect(undated.summaries[0]).toMatchObject({ status: 'applied', format: 'portdelta-csv' });
    const real = await s.ingest(lab(1));
    expect(real.summaries[0]).toMatchObject({ status: 'applied' });
    expect(real.added.length).toBeGreaterThan(0);
  });

  test('an incomplete file says so once in its warnings', async () => {
    const s = new Session(db.fresh(), { config: config(), scanner: 'lo' });
    for (const [ext] of FORMATS) {
      const { summaries } = await s.ingest(made('e-truncated', ext));
      const said = summaries[0].warnings.map((w) => w.replace(/^(line \d+|\d+:\d+): /, ''));
      expect(said.filter((w, i) => said.indexOf(w) !== i)).toEqual([]);
    }
  });

  test('(control) nights 1 and 2 leave different open ports, so a stale night 1 applied would show', async () => {
    const states = [];
    for (const night of [1, 2]) {
      const s = new Session(db.fresh(), { config: scratch.config({ 'scan-in': { timezone: 'UTC' } }), scanner: 'scan-in' });
      await s.ingest(lab(night));
      states.push(portsOf(await s.state()));
    }
    expect(states[0]).not.toEqual(states[1]);
  });
});
