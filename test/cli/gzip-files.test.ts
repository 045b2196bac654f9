// gzip-compressed scan files on the command line and in the inbox (fixtures: test/fixtures/encodings/gzip,
// real lab-a scans gzipped by tools/make-encoding-fixtures.sh): ingest, watch --once and convert
// give what the plain files give; a truncated gzip is exit 2 with nothing stored; a gzip bomb stops
// at server.max_body. And what is not a regular file (/dev/zero, a FIFO, a directory) is refused
// as such at once, not read as empty or waited on.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { forEachDb } from '../helpers/db';
import { cli, FIXTURES, SCANS } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';
import { TempDir } from '../helpers/inbox';

const GZ = path.join(FIXTURES, 'encodings/gzip');
const gz = (f: string) => path.join(GZ, f);
const lab = (night: number, file: string) => path.join(SCANS, 'lab-a', `night${night}`, 'scan-in', file);
const NIGHTS = [1, 2, 3];

let scratch: Scratch;
let config: string;
beforeAll(() => {
  scratch = new Scratch();
  config = scratch.config({ 'scan-in': { timezone: 'UTC' } });
});
afterAll(() => scratch.remove());

const withoutIds = <T extends { id: number; scan_id: number }>(rows: T[]) => rows.map(({ id: _i, scan_id: _s, ...rest }) => rest);
const comparable = ({ source: _s, scan_id: _i, ...rest }: { source: string; scan_id: number }) => rest;

forEachDb('gzip files given to ingest', (db) => {
  test.each(['xml', 'gnmap'])('nmap-tcp.%s.gz of three nights: the same summaries, changes, state and hosts as the plain files; the plain file then is a duplicate', async (ext) => {
    const plain = new Session(db.fresh(), { config, scanner: 'scan-in' });
    const zipped = new Session(db.fresh(), { config, scanner: 'scan-in' });
    for (const n of NIGHTS) {
      const a = await plain.ingest(lab(n, `nmap-tcp.${ext}`));
      const b = await zipped.ingest(gz(`night${n}-nmap-tcp.${ext}.gz`));
      expect(comparable(b.summaries[0])).toEqual(comparable(a.summaries[0]));
      expect(withoutIds(b.added)).toEqual(withoutIds(a.added));
    }
    const [x, y] = [await plain.snapshot(), await zipped.snapshot()];
    expect(x.changes.length).toBeGreaterThan(0);
    expect({ ...y, changes: withoutIds(y.changes) }).toEqual({ ...x, changes: withoutIds(x.changes) });
    // The sha256 is of the content, as for uploads to serve: the same scan is not taken twice.
    const again = await zipped.ingest(lab(3, `nmap-tcp.${ext}`));
    expect(again.summaries[0].status).toBe('duplicate');
  });

  test('gzip is known by its magic bytes, not its name; and from stdin', async () => {
    const plain = new Session(db.fresh(), { config, scanner: 'scan-in' });
    const zipped = new Session(db.fresh(), { config, scanner: 'scan-in' });
    await plain.ingest(lab(3, 'nmap-tcp.xml'));
    const b = await zipped.ingest(gz('night3-nmap-tcp-no-suffix.xml'));
    expect(b.summaries[0]).toMatchObject({ format: 'nmap-xml', status: 'applied', complete: true });
    expect(withoutIds(await zipped.changes())).toEqual(withoutIds(await plain.changes()));
    const piped = new Session(db.fresh(), { config, scanner: 'scan-in' });
    const r = await piped.run(['ingest', '--scanner', 'scan-in', '--json', '-'], fs.readFileSync(gz('night3-nmap-tcp.xml.gz')));
    expect(r.code).toBe(0);
    expect(withoutIds(await piped.changes())).toEqual(withoutIds(await plain.changes()));
  });

  test('a truncated gzip: exit 2, the file named and what is wrong, nothing stored; the good file beside it is ingested', async () => {
    const bad = gz('truncated-night2-nmap-tcp.xml.gz');
    const s = new Session(db.fresh(), { config });
    const alone = await s.run(['ingest', '--scanner', 'scan-in', bad]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(`${bad}: the gzip data ends early: the file is cut short`);
    expect(alone.stderr).toMatch(/remedy: .*gzip -t/);
    expect(alone.stderr).not.toMatch(/\n\s+at /);
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
    const both = await s.run(['ingest', '--scanner', 'scan-in', '--json', bad, gz('night1-nmap-tcp.xml.gz')]);
    expect(both.code).toBe(2);
    const [b, g] = JSON.parse(both.stdout) as Array<{ status: string; change_count: number }>;
    expect(b.status).toBe('failed');
    expect(g.status).toBe('applied');
    expect((await s.changes()).length).toBe(g.change_count);
  });

  test('a gzip bomb is stopped at server.max_body (the limit serve uses); a file under it is taken', async () => {
    const max = 64 * 1024;
    const small = scratch.write('small-limit.yaml', `server:\n  max_body: ${max}\nscanners:\n  scan-in: { timezone: UTC }\n`);
    const head = fs.readFileSync(lab(1, 'nmap-tcp.xml')).subarray(0, 2000);
    const bomb = scratch.write('bomb.xml.gz', zlib.gzipSync(Buffer.concat([head, Buffer.alloc(64 * max, 0x20)])));
    expect(fs.statSync(bomb).size).toBeLessThan(max);
    const s = new Session(db.fresh(), { config: small });
    const r = await s.run(['ingest', '--scanner', 'scan-in', bomb]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bomb}: the gzip data decompresses to more than ${max} bytes (server.max_body)`);
    expect(r.stderr).toMatch(/remedy: .*raise `server\.max_body`/);
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
    expect((await s.run(['ingest', '--scanner', 'scan-in', gz('night1-nmap-tcp.xml.gz')])).code).toBe(0);
  });
});

forEachDb('gzip files in the inbox (watch --once)', (db) => {
  test('the same changes as the plain files; a truncated one goes to failed/ with the reason', async () => {
    const t = new TempDir();
    try {
      NIGHTS.forEach((n, i) => t.write(`scan-in/night${n}.xml.gz`, fs.readFileSync(gz(`night${n}-nmap-tcp.xml.gz`)), 600 - i));
      t.write('scan-in/broken.xml.gz', fs.readFileSync(gz('truncated-night2-nmap-tcp.xml.gz')), 600);
      const watched = new Session(db.fresh(), { config });
      const r = await watched.run(['watch', t.inbox, '--once', '--settle', '0s']);
      expect(r.code).toBe(2);
      expect(t.files('failed')).toEqual(['scan-in/broken.xml.gz', 'scan-in/broken.xml.gz.error.txt']);
      expect(fs.readFileSync(path.join(t.inbox, 'failed/scan-in/broken.xml.gz.error.txt'), 'utf8')).toMatch(/the gzip data ends early/);
      expect(t.files('archive').filter((f) => f.endsWith('.xml.gz'))).toHaveLength(3);
      const plain = new Session(db.fresh(), { config, scanner: 'scan-in' });
      for (const n of NIGHTS) await plain.ingest(lab(n, 'nmap-tcp.xml'));
      const [x, y] = [await plain.snapshot(), await watched.snapshot()];
      expect(x.changes.length).toBeGreaterThan(0);
      expect({ ...y, changes: withoutIds(y.changes) }).toEqual({ ...x, changes: withoutIds(x.changes) });
    } finally {
      t.remove();
    }
  });
});

describe('convert of gzip files', () => {
  test.each(['xml', 'gnmap'])('nmap-tcp.%s.gz converts to the same CSV as the plain file', async (ext) => {
    const a = await cli(['--config', config, 'convert', '--scanner', 'scan-in', lab(2, `nmap-tcp.${ext}`)]);
    const b = await cli(['--config', config, 'convert', '--scanner', 'scan-in', gz(`night2-nmap-tcp.${ext}.gz`)]);
    expect(a.code).toBe(0);
    expect(b).toEqual(a);
  });

  test('a truncated gzip: exit 2, nothing on stdout', async () => {
    const r = await cli(['convert', gz('truncated-night2-nmap-tcp.xml.gz')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/the gzip data ends early/);
  });
});

function mkfifo(file: string): string | null {
  try {
    execFileSync('mkfifo', [file]);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('what is not a regular file', () => {
  const dir = () => fs.mkdtempSync(path.join(scratch.dir, 'dir-'));
  const fifoDir = () => fs.mkdtempSync(path.join(scratch.dir, 'fifo-'));
  const cases: Array<[string, () => string, RegExp]> = [
    ['/dev/zero', () => '/dev/zero', /not a regular file \(a device\)/],
    ['a FIFO without a writer', () => {
      const f = path.join(fifoDir(), 'scan.xml');
      const failed = mkfifo(f);
      if (failed) throw new Error(`mkfifo failed: ${failed}`);
      return f;
    }, /not a regular file \(a FIFO\)[\s\S]*remedy: .*pipe the data to stdin and give '-'/],
    ['a directory', dir, /not a regular file \(a directory\)[\s\S]*remedy: give the scan files inside it/],
  ];
  test.each(cases)('%s: ingest and convert refuse it as not a regular file, without waiting on it', async (_what, make, message) => {
    const file = make();
    const db = `sqlite:${path.join(scratch.dir, `nrf-${path.basename(file)}.sqlite`)}`;
    const r = await cli(['--db', db, 'ingest', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/empty/);
    const c = await cli(['convert', file]);
    expect(c).toMatchObject({ code: 2, stdout: '' });
    expect(c.stderr).toMatch(message);
  });
});
