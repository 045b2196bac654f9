// Bad input through the spawned CLI (DESIGN §5): a bad file fails alone (exit 2, the file named,
// where and what to do) and leaves nothing behind, while the good files beside it are ingested;
// bad options and a bad configuration are refused with exit 2 and a message that helps.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, FIXTURES, spawnCli } from '../helpers/cli';
import { csvText, Scratch } from '../helpers/csv-scan';
import { Session, type IngestResult } from '../helpers/session';

const MADE = path.join(FIXTURES, 'made');
/** The good file: real nmap output for 127.0.20.0/29, older than every bad file below. */
const GOOD = path.join(MADE, 'c-subnet20.xml');
/** The bad files are made from a later real scan of 127.0.21.0/29, so whatever leaks shows. */
const LATER_XML = fs.readFileSync(path.join(MADE, 'd-subnet21.xml'), 'utf8');
const LATER_GNMAP = fs.readFileSync(path.join(MADE, 'd-subnet21.gnmap'), 'utf8');

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture lacks ${from}`);
  return text.split(from).join(to);
}

/** Pseudo-random bytes (xorshift), the same on every run. */
function noise(n: number): Buffer {
  let x = 0x2545f491;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const LAUGHS = edit(
  edit(LATER_XML, '<!DOCTYPE nmaprun>', `<!DOCTYPE nmaprun [\n <!ENTITY lol "lol">\n${[...Array(9)].map((_, i) =>
    ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('\n')}\n]>`),
  '<hostnames>\n</hostnames>',
  '<hostnames>\n<hostname name="&lol9;" type="PTR"/>\n</hostnames>',
);
const XXE = edit(LATER_XML, '<!DOCTYPE nmaprun>', '<!DOCTYPE nmaprun SYSTEM "file:///etc/passwd">');
const WHERE = /line \d+|\d+:\d+/;

/** [what, file name, content (null: the file does not exist), the position the message must give]. */
const BAD: Array<[string, string, string | Buffer | null, RegExp | null]> = [
  ['an empty file', 'empty.xml', '', null],
  ['random bytes', 'noise.bin', noise(4096), null],
  ['a JSON file', 'hosts.json', JSON.stringify({ hosts: [{ ip: '127.0.21.2', ports: [{ port: 8080, state: 'open' }] }] }), null],
  ['a plain text file', 'notes.txt', 'Open ports found tonight:\n127.0.21.2 8080/tcp open\n', null],
  ['XML with an internal entity (billion laughs)', 'laughs.xml', LAUGHS, null],
  ['XML with an external SYSTEM DTD', 'xxe.xml', XXE, null],
  // One damaged record is skipped (test/cli/damaged-records.test.ts); a file of nothing else fails.
  ['nmap XML whose every address is invalid', 'bad-addr.xml', LATER_XML.replace(/addr="127\.0\.21\./g, 'addr="300.0.21.'), WHERE],
  ['-oG whose every host line has an invalid address', 'bad-addr.gnmap', LATER_GNMAP.replace(/^Host: 127\.0\.21\./gm, 'Host: 127.0.21.256.'), WHERE],
  ['uniform CSV whose every row has a bad port', 'bad-port.csv', csvText({
    started: '2030-01-01T00:00:00Z', scope: '127.0.21.0/29', ports: 'tcp:1-65535',
    rows: ['127.0.21.2,tcp,80800,open,,', '127.0.21.3,tcp,99999,open,,'],
  }), WHERE],
  ['a file that does not exist', 'missing.xml', null, null],
];

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

forEachDb('a bad file fails alone and leaves nothing behind', (db) => {
  test.each(BAD)('%s', async (_what, name, content, where) => {
    const bad = content === null ? path.join(scratch.dir, name) : scratch.write(name, content);
    const s = new Session(db.fresh());

    const alone = await s.run(['ingest', '--scanner', 'lo', bad]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(bad);
    expect(alone.stderr).toMatch(/remedy/i);
    if (where) expect(alone.stderr).toMatch(where);
    expect(await s.snapshot()).toEqual({ changes: [], state: [], hosts: [] });

    const both = await s.run(['ingest', '--scanner', 'lo', '--json', bad, GOOD]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(bad);
    expect(both.stderr).not.toContain(GOOD);
    const [b, g] = JSON.parse(both.stdout) as IngestResult[];
    expect(b).toMatchObject({ source: bad, status: 'failed' });
    // 'applied', not 'stale': the later bad scan was not recorded as the scanner's newest.
    expect(g).toMatchObject({ source: GOOD, status: 'applied', complete: true });
    const after = await s.snapshot();
    expect(after.changes.length).toBeGreaterThan(0);
    expect(after.changes.length).toBe(g.change_count);
    expect(after.changes.filter((c) => c.scan_id !== g.scan_id)).toEqual([]);
    expect(after.hosts.filter((h) => !h.ip.startsWith('127.0.20.'))).toEqual([]);
    expect(after.hosts).toHaveLength(g.hosts_up);
  });
});

describe('command line errors [sqlite]', () => {
  let db: string;
  const pd = (...args: string[]) => cli(['--db', db, ...args]);
  beforeAll(async () => {
    db = `sqlite:${path.join(scratch.dir, 'cli.sqlite')}`;
    expect((await pd('ingest', '--scanner', 'lo', GOOD)).code).toBe(0);
  });

  test('--format nonsense: exit 2, the known formats listed, nothing stored', async () => {
    const file = path.join(scratch.dir, 'format.sqlite');
    const r = await cli(['--db', `sqlite:${file}`, 'ingest', '--format', 'nonsense', GOOD]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nonsense');
    for (const f of ['nmap-xml', 'nmap-grepable', 'portdelta-csv']) expect(r.stderr).toContain(f);
    // Refused before the store is opened: not even an empty database is left behind.
    expect(fs.existsSync(file)).toBe(false);
  });

  test.each([
    [['frobnicate']],
    [['changes', '--frobnicate']],
    [['--frobnicate', 'changes']],
    [['ingest']],
    [['changes', '--after-id', 'ten']],
    [['changes', '--since', 'the day before yesterday']],
    [['changes', '--scan-id', 'latest']],
    [['changes', '--verdict', 'maybe']],
    [['changes', '--verdict', 'unexpected']],
    [['changes', '--policy', 'docs/policy.example.yaml']],
    [['ingest', '--scope', 'not-a-network', GOOD]],
    [['ingest', '--ports', '1-99999', GOOD]],
  ])('%j: exit 2 with a message', async (args) => {
    const r = await pd(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).not.toBe('');
  });

  test.each(['migrate', 'ingest', 'changes', 'state', 'hosts', 'demo'])('%s --help exits 0 and shows an example', async (cmd) => {
    const r = await cli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example');
    expect(r.stdout).toContain(`portdelta ${cmd === 'migrate' ? '' : cmd}`.trim());
  });

  test('portdelta --help exits 0 and lists the commands', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['migrate', 'ingest', 'changes', 'state', 'hosts', 'demo']) expect(r.stdout).toContain(cmd);
  });

  test.each(['changes', 'state', 'hosts'])('global options before or after %s give the same output', async (cmd) => {
    // Four processes at once (in-process commands cannot overlap).
    const outs = await Promise.all([
      spawnCli(['--json', '--db', db, cmd]),
      spawnCli([cmd, '--json', '--db', db]),
      spawnCli(['--db', db, cmd, '--json']),
      spawnCli(['--json', cmd, '--db', db]),
    ]);
    for (const o of outs) expect(o.code).toBe(0);
    expect(JSON.parse(outs[0].stdout).length).toBeGreaterThan(0);
    for (const o of outs.slice(1)) expect(o.stdout).toBe(outs[0].stdout);
  });

  test('--type with an unknown name: exit 2 and the known names listed', async () => {
    const r = await pd('changes', '--type', 'new_port,new_thing');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('new_thing');
    for (const n of ['new_host', 'host_down', 'port_closed']) expect(r.stderr).toContain(n);
    const ok = await pd('changes', '--json', '--type', 'new_port,new_host');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).length).toBeGreaterThan(0);
  });

  test.each(['changes', 'state', 'hosts'])('%s --network with garbage: exit 2 and what is expected', async (cmd) => {
    for (const net of ['garbage', '10.0.0.0/33', '1.2.3', '10.0.0.300']) {
      const r = await pd(cmd, '--network', net);
      expect({ net, code: r.code }).toEqual({ net, code: 2 });
      expect(r.stderr).toContain(net);
    }
    expect((await pd(cmd, '--network', '127.0.20.0/29')).code).toBe(0);
  });

  test('a bad config file: exit 2 and every problem listed with its path', async () => {
    const file = scratch.write('bad.yaml', [
      'databse: sqlite:/tmp/typo.sqlite',
      'scanners:',
      '  lo:',
      '    close_after: two',
      '    down_after: 1.5',
      '    scope: [127.0.20.0/33]',
      '    colour: blue',
      '',
    ].join('\n'));
    for (const args of [['--config', file, 'changes'], ['ingest', GOOD, '--config', file]]) {
      const r = await pd(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      const lines = r.stderr.split('\n');
      for (const want of [/scanners\.lo\.close_after/, /scanners\.lo\.down_after/, /scanners\.lo\.scope.*33/, /scanners\.lo\b.*colour/, /databse/]) {
        expect({ want: String(want), found: lines.some((l) => want.test(l)) }).toEqual({ want: String(want), found: true });
      }
    }
  });

  test('--db with a URL scheme that is not supported is refused as such, not opened as a file', async () => {
    const r = await cli(['--db', 'mysql://127.0.0.1/portdelta', 'changes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mysql://');
    expect(r.stderr).toMatch(/postgres:\/\//);
  });
});
