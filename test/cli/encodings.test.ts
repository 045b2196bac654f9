// Character encodings through the spawned CLI (fixtures: test/fixtures/encodings, made from real
// scans by tools/make-encoding-fixtures.sh). A UTF-8 BOM changes nothing in any format; UTF-16 and
// UTF-32 are named, with the iconv line that converts them; an XML file declaring ISO-8859-1 or
// windows-1252 is read in it (café, not caf\uFFFD); bytes that are not UTF-8 in a file read as
// UTF-8 reject it with their position, and no replacement character is ever stored.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, FIXTURES } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';
import { masscanScope } from '../helpers/masscan-series';

const ENC = path.join(FIXTURES, 'encodings');
const { scope, ports } = masscanScope();
const MASSCAN = ['--scope', scope, '--ports', ports];

/** [format, file in encodings/bom/, ingest options]. */
const BOM: Array<[string, string, string[]]> = [
  ['nmap-xml', 'nmap-tcp.xml', []],
  ['nmap-grepable', 'nmap-tcp.gnmap', []],
  ['masscan-xml', 'masscan.xml', MASSCAN],
  ['masscan-json', 'masscan.json', MASSCAN],
  ['masscan-json', 'masscan-oD.ndjson', MASSCAN],
  ['masscan-list', 'masscan.list', MASSCAN],
  ['zmap-csv', 'zmap.csv', ['--scope', '127.0.40.0/29', '--ports', '8080']],
  ['naabu-json', 'naabu.json', MASSCAN],
  ['portdelta-csv', 'uniform.csv', []],
];

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

const withoutIds = <T extends { id: number; scan_id: number }>(rows: T[]) => rows.map(({ id: _i, scan_id: _s, ...rest }) => rest);

forEachDb('a UTF-8 byte order mark', (db) => {
  test.each(BOM)('%s (%s): the file with a BOM ingests as the same file without it', async (format, name, opts) => {
    const withBom = fs.readFileSync(path.join(ENC, 'bom', name));
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const plain = scratch.write(`plain-${name}`, withBom.subarray(3));
    const config = scratch.config({ s: { timezone: 'UTC' } });
    const a = new Session(db.fresh(), { config, scanner: 's' });
    const b = new Session(db.fresh(), { config, scanner: 's' });
    const [x] = (await a.ingestArgs([...opts, plain])).summaries;
    const [y] = (await b.ingestArgs([...opts, path.join(ENC, 'bom', name)])).summaries;
    expect(x).toMatchObject({ format, status: 'applied' });
    const { source: _a, scan_id: _i, ...rest } = x;
    expect(y).toMatchObject(rest);
    const [sa, sb] = [await a.snapshot(), await b.snapshot()];
    expect(sa.state.length + sa.hosts.length).toBeGreaterThan(0);
    expect({ ...sb, changes: withoutIds(sb.changes) }).toEqual({ ...sa, changes: withoutIds(sa.changes) });
  });
});

/** [fixture, what the message names, the iconv source encoding]. */
const WIDE: Array<[string, RegExp, string]> = [
  ['nmap-tcp.UTF-16.xml', /UTF-16 \(little-endian, with a byte order mark\)/, 'UTF-16'],
  ['nmap-tcp.UTF-16LE.xml', /UTF-16 \(little-endian, without a byte order mark\)/, 'UTF-16LE'],
  ['nmap-tcp.UTF-16BE.xml', /UTF-16 \(big-endian, without a byte order mark\)/, 'UTF-16BE'],
  ['nmap-tcp.UTF-32.xml', /UTF-32 \(little-endian, with a byte order mark\)/, 'UTF-32'],
  ['nmap-tcp.UTF-32LE.xml', /UTF-32 \(little-endian, without a byte order mark\)/, 'UTF-32LE'],
  ['nmap-tcp.UTF-32BE.xml', /UTF-32 \(big-endian, without a byte order mark\)/, 'UTF-32BE'],
  ['nmap-tcp.UTF-16.gnmap', /UTF-16 \(little-endian, with a byte order mark\)/, 'UTF-16'],
];

describe('UTF-16 and UTF-32 files [sqlite]', () => {
  test.each(WIDE)('%s is named as such, with the iconv remedy; nothing stored; --format does not change that; convert says the same', async (name, what, from) => {
    const file = path.join(ENC, name);
    const s = new Session(`sqlite:${path.join(scratch.dir, `${name}.sqlite`)}`);
    const remedy = `iconv -f ${from} -t UTF-8`;
    for (const args of [['ingest', file], ['ingest', '--format', name.endsWith('.gnmap') ? 'nmap-grepable' : 'nmap-xml', file]]) {
      const r = await s.run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(what);
      expect(r.stderr).toContain(remedy);
    }
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
    const c = await cli(['convert', file]);
    expect(c).toMatchObject({ code: 2, stdout: '' });
    expect(c.stderr).toContain(remedy);
  });
});

const hostnames = async (s: Session): Promise<string[]> => {
  const r = await s.run(['hosts', '--json']);
  return (JSON.parse(r.stdout) as Array<{ hostname: string | null }>).map((h) => h.hostname ?? '').sort();
};

forEachDb('an XML encoding declaration', (db) => {
  test.each(['cafe.iso-8859-1.xml', 'cafe.windows-1252.xml'])('%s: the host name is stored as café, as from the UTF-8 file', async (name) => {
    const raw = fs.readFileSync(path.join(ENC, name));
    expect(raw.includes(Buffer.from('caf\xe9.lab', 'latin1'))).toBe(true); // é is one byte in the file
    const utf8 = new Session(db.fresh(), { scanner: 's' });
    const other = new Session(db.fresh(), { scanner: 's' });
    await utf8.ingest(path.join(ENC, 'cafe.utf-8.xml'));
    const { summaries } = await other.ingest(path.join(ENC, name));
    expect(summaries[0]).toMatchObject({ status: 'applied', complete: true, format: 'nmap-xml' });
    const names = await hostnames(other);
    expect(names).toContain('café.lab-a.test');
    expect(names.join('')).not.toContain('\uFFFD');
    expect(names).toEqual(await hostnames(utf8));
    const [a, b] = [await utf8.snapshot(), await other.snapshot()];
    expect(withoutIds(b.changes)).toEqual(withoutIds(a.changes));
  });

  test('Latin-1 bytes in a file declared UTF-8: rejected with the byte position and the iconv remedy, nothing stored', async () => {
    const file = path.join(ENC, 'cafe.latin1-declared-utf8.xml');
    const offset = fs.readFileSync(file).indexOf(Buffer.from('caf\xe9', 'latin1')) + 3;
    const s = new Session(db.fresh());
    const r = await s.run(['ingest', '--scanner', 's', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: byte ${offset + 1}: the file is not valid UTF-8: byte 0xe9 after`);
    expect(r.stderr).toContain('iconv -f ISO-8859-1 -t UTF-8');
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
  });

  test('an encoding portdelta does not read (EUC-JP) is named, with what to do; nothing stored', async () => {
    const file = path.join(ENC, 'cafe.euc-jp-declared.xml');
    const s = new Session(db.fresh());
    const r = await s.run(['ingest', '--scanner', 's', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/declares encoding="EUC-JP", which portdelta does not read/);
    expect(r.stderr).toContain('iconv -f EUC-JP -t UTF-8');
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
  });
});

describe('invalid UTF-8 in the line formats [sqlite]', () => {
  test('a Latin-1 byte in an -oG host name: rejected with its byte, never stored as U+FFFD', async () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'scans/lab-a/night1/scan-in/nmap-tcp.gnmap'), 'latin1');
    expect(text).toContain('(web01.lab-a.test)');
    const file = scratch.write('latin1.gnmap', Buffer.from(text.replace('(web01.lab-a.test)', '(caf\xe9.lab-a.test)'), 'latin1'));
    const s = new Session(`sqlite:${path.join(scratch.dir, 'gnmap.sqlite')}`);
    const r = await s.run(['ingest', '--scanner', 's', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/byte \d+: the file is not valid UTF-8: byte 0xe9 after "[^"]*\(caf"/);
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });
  });
});
