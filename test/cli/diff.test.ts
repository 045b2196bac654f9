// `portdelta diff A B`: ndiff's job by portdelta's rules, through the same ingest as the store.
// Checked against ndiff on real pairs (the shared kinds of events: host up/down, port open/closed,
// where every event ndiff has and portdelta does not must be explained by a scope, completeness,
// open|filtered or threshold rule), against the store's own changes on both databases, on every
// input format the registry knows, and for its exit codes and messages.
import path from 'node:path';
import { cli, cliJson, FIXTURES, SCANS } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { describeUnless, missingTool } from '../helpers/needs';
import { ndiffEvents } from '../helpers/ndiff';
import { csvText, night, port, Scratch, up } from '../helpers/csv-scan';
import { formatNames } from '../../input-agents/registry';
import type { ChangeRow } from '../../common/types';
import { ChangeType } from '../../common/types';

interface Note { ip: string; proto: string | null; port: number | null; reason: string; explanation: string }
interface Diff { a: { format: string; scanner: string; complete: boolean }; b: { format: string; complete: boolean; scan_id: number }; changes: ChangeRow[]; not_concluded: Note[] }

const LAB = path.join(SCANS, 'lab-a');
const MADE = path.join(FIXTURES, 'made');
const lab = (n: number, scanner: string, file: string) => path.join(LAB, `night${n}`, scanner, file);

async function diff(a: string, b: string, extra: string[] = []): Promise<{ code: number; out: Diff; stderr: string }> {
  const r = await cli(['diff', a, b, '--json', ...extra]);
  if (r.code === 2) throw new Error(r.stderr);
  return { code: r.code, out: JSON.parse(r.stdout) as Diff, stderr: r.stderr };
}

/** portdelta's changes as ndiff's kinds of events. */
function events(changes: ChangeRow[]): Set<string> {
  const out = new Set<string>();
  for (const c of changes) {
    if (c.ip === null) continue;
    if (c.port === null) {
      if (c.type & ChangeType.new_host) out.add(`${c.ip} host up`);
      if (c.type & ChangeType.host_down) out.add(`${c.ip} host down`);
    } else {
      if (c.type & (ChangeType.new_port | ChangeType.port_reopened)) out.add(`${c.ip} ${c.port}/${c.proto} open`);
      if (c.type & ChangeType.port_closed) out.add(`${c.ip} ${c.port}/${c.proto} closed`);
    }
  }
  return out;
}

/** A host going or a port closing that B's notes (or B being incomplete) explain. */
function explained(event: string, d: Diff): boolean {
  const [ip, what, verb] = event.split(' ');
  if (verb !== 'down' && verb !== 'closed') return false;
  if (!d.b.complete) return true;
  return d.not_concluded.some((n) => n.ip === ip && (n.port === null || `${n.port}/${n.proto}` === what));
}

// night4/scan-out and e-truncated are cut short: ndiff cannot read them (below).
const TRUNCATED = [lab(4, 'scan-out', 'nmap-tcp.xml'), path.join(MADE, 'e-truncated.xml')];
const ALL_PAIRS: Array<[string, string]> = [
  ...['scan-in', 'scan-out'].flatMap((s) => [1, 2, 3, 4, 5].map((n): [string, string] => [lab(n, s, 'nmap-tcp.xml'), lab(n + 1, s, 'nmap-tcp.xml')])),
  ...['scan-in', 'scan-out'].flatMap((s) => [[1, 3], [3, 5]].map(([x, y]): [string, string] => [lab(x, s, 'nmap-udp.xml'), lab(y, s, 'nmap-udp.xml')])),
  [path.join(MADE, 'a-full-ports.xml'), path.join(MADE, 'b-top100.xml')],
  [path.join(MADE, 'c-subnet20.xml'), path.join(MADE, 'd-subnet21.xml')],
  [path.join(MADE, 'a-full-ports.xml'), path.join(MADE, 'e-truncated.xml')],
];
const PAIRS = ALL_PAIRS.filter((p) => !p.some((f) => TRUNCATED.includes(f)));
const CUT_PAIRS = ALL_PAIRS.filter((p) => p.some((f) => TRUNCATED.includes(f)));
const rel = (f: string) => path.relative(FIXTURES, f);

describeUnless(missingTool('ndiff', '--help', 'ndiff'), 'diff and ndiff on the same real pairs', () => {
  test.each(PAIRS.map(([a, b]) => [rel(a), rel(b), a, b]))('%s → %s: the same hosts up/down and ports open/closed, or portdelta says why not', async (_a, _b, a, b) => {
    const { code, out } = await diff(a, b);
    const mine = events(out.changes);
    const theirs = ndiffEvents(a, b);
    expect(code).toBe(out.changes.length > 0 ? 1 : 0);
    expect([...mine].filter((e) => !theirs.has(e))).toEqual([]);
    expect([...theirs].filter((e) => !mine.has(e) && !explained(e, out))).toEqual([]);
  });

  test.each(CUT_PAIRS.map(([a, b]) => [rel(a), rel(b), a, b]))('%s → %s: ndiff cannot read a truncated file; diff reads what it holds and concludes nothing negative from it', async (_a, _b, a, b) => {
    expect(() => ndiffEvents(a, b)).toThrow(/no element found/);
    const { out } = await diff(a, b);
    if (TRUNCATED.includes(b)) {
      expect(out.b.complete).toBe(false);
      expect(out.changes.filter((c) => c.type & (ChangeType.host_down | ChangeType.port_closed))).toEqual([]);
    } else expect(out.a.complete).toBe(false);
  });

  test('the lab pairs with complete scans of one scope agree exactly', async () => {
    const [a, b] = [lab(3, 'scan-in', 'nmap-tcp.xml'), lab(4, 'scan-in', 'nmap-tcp.xml')];
    const { out } = await diff(a, b);
    expect(out.not_concluded).toEqual([]);
    expect(events(out.changes)).toEqual(ndiffEvents(a, b));
  });
});

describe('diff explains what its rules suppress', () => {
  test('a port outside B\'s port scope is not closed, and the output says so (text and --json)', async () => {
    const [a, b] = [path.join(MADE, 'a-full-ports.xml'), path.join(MADE, 'b-top100.xml')];
    const { code, out } = await diff(a, b);
    expect(code).toBe(0);
    expect(out.changes).toEqual([]);
    expect(out.not_concluded).toEqual([expect.objectContaining({ ip: '127.0.20.1', proto: 'tcp', port: 40123, reason: 'port_out_of_scope' })]);
    const text = await cli(['diff', a, b]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("port 40123/tcp was not in B's port scope");
  });

  test('hosts outside B\'s host scope stay up, each with its reason', async () => {
    const { out } = await diff(path.join(MADE, 'c-subnet20.xml'), path.join(MADE, 'd-subnet21.xml'));
    const gone = out.not_concluded.filter((n) => n.reason === 'host_out_of_scope').map((n) => n.ip);
    expect(gone).toEqual(Array.from({ length: 8 }, (_, i) => `127.0.20.${i}`));
    expect(out.changes.filter((c) => c.type & ChangeType.host_down)).toEqual([]);
  });

  test('an incomplete B closes nothing and says it is incomplete', async () => {
    const a = path.join(MADE, 'a-full-ports.xml');
    const r = await cli(['diff', a, path.join(MADE, 'e-truncated.xml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('B is incomplete');
  });

  test('open|filtered is no evidence, and close_after from the config holds a close back; without it the port closes', async () => {
    const s = new Scratch();
    const a = s.write('a.csv', csvText({ started: night(1), rows: [up('10.9.0.1'), port('10.9.0.1', 22), port('10.9.0.1', 53, 'open', 'udp')] }));
    const b = s.write('b.csv', csvText({ started: night(2), rows: [up('10.9.0.1'), port('10.9.0.1', 53, 'open|filtered', 'udp')] }));
    const plain = await diff(a, b);
    expect(plain.code).toBe(1);
    expect(plain.out.changes.map((c) => [c.port, c.types])).toEqual([[22, ['port_closed']]]);
    expect(plain.out.not_concluded).toEqual([expect.objectContaining({ port: 53, proto: 'udp', reason: 'open_filtered' })]);
    const config = s.write('portdelta.yaml', 'scanners:\n  lab:\n    close_after: 2\n');
    const held = await diff(a, b, ['--config', config, '--scanner', 'lab']);
    expect(held.code).toBe(0);
    expect(held.out.not_concluded).toEqual(expect.arrayContaining([expect.objectContaining({ port: 22, reason: 'close_after', streak: 1, threshold: 2 })]));
    expect(held.out.not_concluded.find((n) => n.port === 22)!.explanation).toContain('missing in 1 of the 2 scans in a row close_after asks for');
  });
});

describe('diff explains what thresholds and max_absence hold back', () => {
  test('down_after 2: a host missing once stays up, with its streak', async () => {
    const s = new Scratch();
    const a = s.write('a.csv', csvText({ started: night(1), rows: [up('10.9.0.1'), port('10.9.0.1', 22), up('10.9.0.2'), port('10.9.0.2', 80)] }));
    const b = s.write('b.csv', csvText({ started: night(2), rows: [up('10.9.0.1'), port('10.9.0.1', 22)] }));
    expect((await diff(a, b)).out.changes.map((c) => [c.ip, c.port, c.types])).toEqual([['10.9.0.2', null, ['host_down']], ['10.9.0.2', 80, ['host_down', 'port_closed']]]);
    const config = s.write('portdelta.yaml', 'scanners:\n  lab:\n    down_after: 2\n');
    const { code, out } = await diff(a, b, ['--config', config, '--scanner', 'lab']);
    expect(code).toBe(0);
    expect(out.not_concluded).toEqual([{ ip: '10.9.0.2', proto: null, port: null, reason: 'down_after', streak: 1, threshold: 2, explanation: expect.stringContaining('host 10.9.0.2: missing in 1 of the 2 scans') }]);
  });

  test('open_after 2: a port first seen open in B is not reported yet, and the output says so', async () => {
    const s = new Scratch();
    const a = s.write('a.csv', csvText({ started: night(1), rows: [up('10.9.0.1'), port('10.9.0.1', 22)] }));
    const b = s.write('b.csv', csvText({ started: night(2), rows: [up('10.9.0.1'), port('10.9.0.1', 22), port('10.9.0.1', 443)] }));
    const config = s.write('portdelta.yaml', 'scanners:\n  lab:\n    open_after: 2\n');
    const { code, out } = await diff(a, b, ['--config', config, '--scanner', 'lab']);
    expect(code).toBe(1); // 22/tcp, seen twice now
    expect(out.changes.map((c) => [c.port, c.types])).toEqual([[22, ['new_port']]]);
    expect(out.not_concluded).toEqual([expect.objectContaining({ port: 443, reason: 'open_after', streak: 1, threshold: 2, explanation: expect.stringContaining('not reported open yet') })]);
  });

  test('max_absence: a B that would take down most hosts at once holds them back, says so, and names each', async () => {
    const s = new Scratch();
    const hosts = Array.from({ length: 8 }, (_, i) => `10.9.0.${i + 1}`);
    const a = s.write('a.csv', csvText({ started: night(1), rows: hosts.flatMap((ip) => [up(ip), port(ip, 22)]) }));
    const b = s.write('b.csv', csvText({ started: night(2), rows: [up(hosts[0]), port(hosts[0], 22)] }));
    const { code, out } = await diff(a, b);
    expect(code).toBe(1); // the mass_absence event
    expect(out.changes.map((c) => c.types)).toEqual([['mass_absence']]);
    expect(out.not_concluded.filter((n) => n.reason === 'held').map((n) => n.ip)).toEqual(hosts.slice(1));
    const text = await cli(['diff', a, b]);
    expect(text.stdout).toContain('held back by max_absence');
  });
});

// One pair per input format the registry knows: the test fails when a format is added without one.
const FORMAT_PAIRS: Record<string, () => [string, string]> = {
  'nmap-xml': () => [lab(1, 'scan-in', 'nmap-tcp.xml'), lab(2, 'scan-in', 'nmap-tcp.xml')],
  'nmap-grepable': () => [lab(3, 'scan-in', 'nmap-tcp.gnmap'), lab(4, 'scan-in', 'nmap-tcp.gnmap')],
  'masscan-xml': () => [lab(2, 'scan-in', 'masscan.xml'), lab(4, 'scan-in', 'masscan.xml')],
  'masscan-json': () => [lab(2, 'scan-in', 'masscan.json'), lab(4, 'scan-in', 'masscan.json')],
  'masscan-list': () => [lab(4, 'scan-in', 'masscan.list'), lab(6, 'scan-in', 'masscan.list')],
  'naabu-json': () => [path.join(MADE, 'naabu/night2.json'), path.join(MADE, 'naabu/night4.json')],
  'zmap-csv': () => [path.join(MADE, 'zmap/night1.csv'), path.join(MADE, 'zmap/night2.csv')],
  'portdelta-csv': () => {
    const s = new Scratch();
    return [
      s.write('a.csv', csvText({ started: night(1), rows: [up('10.9.0.1'), port('10.9.0.1', 22), up('10.9.0.2'), port('10.9.0.2', 80)] })),
      s.write('b.csv', csvText({ started: night(2), rows: [up('10.9.0.1'), port('10.9.0.1', 22), port('10.9.0.1', 443)] })),
    ];
  },
};

test('every input format has a pair below', () => {
  expect(Object.keys(FORMAT_PAIRS).sort()).toEqual([...formatNames()].sort());
});

forEachDb('diff gives the changes the store records for B', (tdb) => {
  test.each(Object.keys(FORMAT_PAIRS))('%s: A then B ingested into a store, B\'s changes equal the diff', async (format) => {
    const [a, b] = FORMAT_PAIRS[format]();
    const { code, out } = await diff(a, b, ['--scanner', 'x']);
    expect([out.a.format, out.b.format]).toEqual([format, format]);
    expect(code).toBe(out.changes.length > 0 ? 1 : 0);
    const db = tdb.fresh();
    const ingested = await cliJson<Array<{ scan_id: number }>>(['--db', db, 'ingest', '--scanner', 'x', a, b]);
    const stored = await cliJson<ChangeRow[]>(['--db', db, 'changes', '--scan-id', String(ingested[1].scan_id)]);
    const key = (c: ChangeRow) => [c.ip, c.proto, c.port, c.type, c.hostname, c.previous_hostname, c.returning, c.detected_at].join(' ');
    expect(out.changes.map(key)).toEqual(stored.map(key));
  });
});

describe('diff errors: exit 2, the file named, a remedy', () => {
  test('a missing file', async () => {
    const r = await cli(['diff', lab(1, 'scan-in', 'nmap-tcp.xml'), '/nonexistent/b.xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/B \(\/nonexistent\/b\.xml\)/);
    expect(r.stderr).toContain('remedy:');
  });

  test('scans of two scanners', async () => {
    const s = new Scratch();
    const a = s.write('a.csv', csvText({ started: night(1), scanner: 'one', rows: [up('10.9.0.1')] }));
    const b = s.write('b.csv', csvText({ started: night(2), scanner: 'two', rows: [up('10.9.0.1')] }));
    const r = await cli(['diff', a, b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("scanner 'one'");
    expect(r.stderr).toContain('--scanner');
    expect((await cli(['diff', a, b, '--scanner', 'both'])).code).toBe(0);
  });

  test('B older than A', async () => {
    const r = await cli(['diff', lab(2, 'scan-in', 'nmap-tcp.xml'), lab(1, 'scan-in', 'nmap-tcp.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('was made before A');
    expect(r.stderr).toContain(`portdelta diff ${lab(1, 'scan-in', 'nmap-tcp.xml')} ${lab(2, 'scan-in', 'nmap-tcp.xml')}`);
  });

  test('a file that is no scan', async () => {
    const s = new Scratch();
    const r = await cli(['diff', s.write('a.txt', 'hello\n'), lab(1, 'scan-in', 'nmap-tcp.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/A \(.*a\.txt\)/);
  });

  test('the same file twice: no change, exit 0', async () => {
    const f = lab(1, 'scan-in', 'nmap-tcp.xml');
    const r = await cli(['diff', f, f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('B is the same file as A');
  });
});
