// `disagreements --family`: real nmap scans of one host under 127.0.0.2 and ::1 with listeners on
// one family only (tools/make-dual-stack-fixtures.sh), linked by their common PTR name, or — for
// the scans made without name resolution — by the configuration's dual_stack list. The expected
// disagreements are read from the scan files themselves; on SQLite and PostgreSQL.
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliJson, FIXTURES } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { Scratch } from '../helpers/csv-scan';
import type { FamilyDisagreement } from '../../common/types';

const DIR = path.join(FIXTURES, 'made/dual-stack');
const file = (name: string) => path.join(DIR, name);

/** The open TCP ports nmap listed in a file, and its start time. */
function scanned(name: string): { open: Set<number>; start: string; name: string | null } {
  const xml = fs.readFileSync(file(name), 'utf8');
  const open = new Set([...xml.matchAll(/portid="(\d+)"><state state="open"/g)].map((m) => Number(m[1])));
  const start = new Date(Number(/<nmaprun [^>]*start="(\d+)"/.exec(xml)![1]) * 1000).toISOString();
  return { open, start, name: /hostname name="([^"]+)" type="PTR"/.exec(xml)?.[1] ?? null };
}

/** What the files say: each port open on one family only, with both views. */
function expected(v4file: string, v6file: string, linked: 'ptr' | 'config', ids: [number, number]) {
  const [v4, v6] = [scanned(v4file), scanned(v6file)];
  const only = (a: Set<number>, b: Set<number>) => [...a].filter((p) => !b.has(p));
  const rows = [
    ...only(v4.open, v6.open).map((port) => ({ port, open4: true })),
    ...only(v6.open, v4.open).map((port) => ({ port, open4: false })),
  ].sort((a, b) => a.port - b.port);
  return rows.map(({ port, open4 }) => ({
    scanner: 'loop', hostname: v4.name, linked_by: linked, proto: 'tcp', port,
    views: [
      { family: 'ipv4', ip: '127.0.0.2', view: open4 ? 'open' : 'not open', scan_id: ids[0], scan_time: v4.start },
      { family: 'ipv6', ip: '::1', view: open4 ? 'not open' : 'open', scan_id: ids[1], scan_time: v6.start },
    ],
  }));
}

forEachDb('disagreements --family', (tdb) => {
  test('a host under 127.0.0.2 and ::1 with one PTR name: each port open on one family only, with both views and scan times', async () => {
    const db = tdb.fresh();
    const [a, b] = await cliJson<Array<{ scan_id: number }>>(['--db', db, 'ingest', '--scanner', 'loop', file('ptr-v4.xml'), file('ptr-v6.xml')]);
    const want = expected('ptr-v4.xml', 'ptr-v6.xml', 'ptr', [a.scan_id, b.scan_id]);
    expect(want.length).toBeGreaterThanOrEqual(2); // the fixture has a port on each side
    expect(await cliJson<FamilyDisagreement[]>(['--db', db, 'disagreements', '--family'])).toEqual(want);
    const text = await cli(['--db', db, 'disagreements', '--family', '--exit-code']);
    expect(text.code).toBe(1);
    for (const d of want) expect(text.stdout).toMatch(new RegExp(`dual\\.portdelta\\.test\\s+${d.port}/tcp\\s+127\\.0\\.0\\.2\\s+${d.views[0].view}`));
    expect(await cliJson(['--db', db, 'disagreements', '--family', '--network', '10.0.0.0/8'])).toEqual([]);
    expect(await cliJson(['--db', db, 'disagreements', '--family', '--network', '::1'])).toEqual(want);
  });

  test('scans without names are linked only by dual_stack in the config', async () => {
    const db = tdb.fresh();
    const [a, b] = await cliJson<Array<{ scan_id: number }>>(['--db', db, 'ingest', '--scanner', 'loop', file('n-v4.xml'), file('n-v6.xml')]);
    expect(await cliJson(['--db', db, 'disagreements', '--family'])).toEqual([]);
    const none = await cli(['--db', db, 'disagreements', '--family', '--exit-code']);
    expect([none.code, none.stdout]).toEqual([0, expect.stringContaining('no dual-stack disagreements')]);
    const s = new Scratch();
    const config = s.write('portdelta.yaml', 'dual_stack:\n  - { ipv4: 127.0.0.2, ipv6: "0:0:0:0:0:0:0:1" }\n');
    expect(await cliJson(['--db', db, '--config', config, 'disagreements', '--family'])).toEqual(expected('n-v4.xml', 'n-v6.xml', 'config', [a.scan_id, b.scan_id]));
  });

  test('a port the other family\'s scan did not cover is no disagreement; one it covered is', async () => {
    const db = tdb.fresh();
    // the IPv6 scan again, with its port scope narrowed so that neither one-family port is in it
    await cliJson(['--db', db, 'ingest', '--scanner', 'loop', file('ptr-v4.xml')]);
    await cliJson(['--db', db, 'ingest', '--scanner', 'loop', '--ports', '47001', file('ptr-v6.xml')]);
    const rows = await cliJson<FamilyDisagreement[]>(['--db', db, 'disagreements', '--family']);
    // only the ports open on ::1 are left: the IPv4 scan covered them, the narrowed IPv6 scan did not cover 127.0.0.2's
    const [v4, v6] = [scanned('ptr-v4.xml').open, scanned('ptr-v6.xml').open];
    expect(rows.map((d) => [d.port, d.views[1].view])).toEqual([...v6].filter((p) => !v4.has(p) && p !== 47001).map((p) => [p, 'open']));
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('dual_stack in the config', () => {
  test('is validated with the whole file: every bad entry is listed with its path, exit 2', async () => {
    const s = new Scratch();
    const config = s.write('portdelta.yaml', 'dual_stack:\n  - { ipv4: "::1", ipv6: 127.0.0.2 }\n  - { ipv4: 10.0.0.1 }\nscanners:\n  x: { open_after: zero }\n');
    const r = await cli(['--config', config, '--db', 'sqlite::memory:', 'disagreements', '--family']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dual_stack\.0\.ipv4.*not an IPv4 address/);
    expect(r.stderr).toMatch(/dual_stack\.0\.ipv6.*not an IPv6 address/);
    expect(r.stderr).toMatch(/dual_stack\.1\.ipv6/);
    expect(r.stderr).toMatch(/scanners\.x\.open_after/);
  });

  test('--family and --group do not go together', async () => {
    const r = await cli(['--db', 'sqlite::memory:', 'disagreements', '--family', '--group', 'inside']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--family and --group');
  });
});
