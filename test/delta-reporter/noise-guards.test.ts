// The noise guards of DESIGN §3 on real scanner output, through the CLI on both databases:
// max_open_ports on nmap scans of a loopback host that opened 300 listeners
// (tools/make-noise-fixtures.sh), and the open|filtered policy on lab-a's real UDP scans.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { forEachDb } from '../helpers/db';
import { FIXTURES, SCANS } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { briefs, Session } from '../helpers/session';
import { nmapXml } from '../../input-agents/nmap-xml';
import type { HostRecord } from '../../common/types';

const many = (n: number, ext: string) => path.join(FIXTURES, 'made', `f-many-ports-${n}.${ext}`);
const udp = (night: number, scanner: string) => path.join(SCANS, 'lab-a', `night${night}`, scanner, 'nmap-udp.xml');
const NOISY = '127.0.30.1';
const QUIET = '127.0.30.2';

/** Open ports per host as the file itself says (so a re-made fixture still fits). */
async function openPorts(file: string, state = 'open'): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of nmapXml.parse(Readable.from([fs.readFileSync(file)]), { source: file })) {
    if (ev.kind === 'host') for (const p of (ev as HostRecord).ports) if (p.state === state) out.push(`${ev.ip} ${p.port}/${p.proto}`);
  }
  return out.sort();
}

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

test('the fixtures hold what the tests rely on', async () => {
  const [first, second] = [await openPorts(many(1, 'xml')), await openPorts(many(2, 'xml'))];
  expect(first.filter((p) => p.startsWith(`${NOISY} `)).length).toBeLessThanOrEqual(5);
  expect(second.filter((p) => p.startsWith(`${NOISY} `)).length).toBeGreaterThan(200);
  expect(second.filter((p) => p.startsWith(`${QUIET} `))).toEqual(first.filter((p) => p.startsWith(`${QUIET} `)));
  expect(await openPorts(udp(1, 'scan-in'), 'open|filtered')).not.toEqual([]);
});

forEachDb('noise guards on real output', (db) => {
  for (const ext of ['xml', 'gnmap']) {
    test(`max_open_ports (default 200), ${ext}: a known host answering on 300 ports is one all_ports_answer change, not hundreds`, async () => {
      const s = new Session(db.fresh(), { config: scratch.config({ lo: { timezone: 'UTC' } }), scanner: 'lo' });
      const before = await s.ingest(many(1, ext));
      expect(before.added.filter((c) => c.ip === NOISY && c.port !== null).length).toBeGreaterThan(0);
      const openNow = async () => (await s.state()).map((r) => `${r.ip} ${r.port}/${r.proto}`);
      const stateBefore = await openNow();

      const { added } = await s.ingest(many(2, ext));
      expect(briefs(added)).toEqual([{ ip: NOISY, proto: null, port: null, type: 64 }]);
      expect(added[0].types).toEqual(['all_ports_answer']);
      // Neither hundreds of open ports nor a closed one: the same ports are open as before.
      expect(await openNow()).toEqual(stateBefore);
    });
  }

  test('max_open_ports: a host first seen answering on 300 ports is one host change, without port rows', async () => {
    const s = new Session(db.fresh(), { scanner: 'lo' });
    const { added } = await s.ingest(many(2, 'xml'));
    const noisy = added.filter((c) => c.ip === NOISY);
    expect(noisy).toHaveLength(1);
    expect(noisy[0]).toMatchObject({ port: null, type: 1 | 64 });
    expect(added.filter((c) => c.ip === QUIET).map((c) => c.type).sort()).toEqual([1, 9, 9]);
    expect((await s.state()).filter((r) => r.ip === NOISY)).toEqual([]);
  });

  test('(control) max_open_ports 400 lets the same scan through port by port', async () => {
    const s = new Session(db.fresh(), { config: scratch.config({ lo: { max_open_ports: 400 } }), scanner: 'lo' });
    await s.ingest(many(1, 'xml'));
    const { added } = await s.ingest(many(2, 'xml'));
    const expected = (await openPorts(many(2, 'xml'))).length - (await openPorts(many(1, 'xml'))).length;
    expect(added.filter((c) => c.type === 8)).toHaveLength(expected);
  });

  for (const scanner of ['scan-in', 'scan-out']) {
    test(`open|filtered on lab-a's UDP scans (${scanner}): 'open' adds exactly those ports to what 'ignore' reports`, async () => {
      const run = async (policy: string) => {
        const s = new Session(db.fresh(), { config: scratch.config({ [scanner]: { open_filtered: policy } }), scanner });
        const added = [];
        for (const n of [1, 3, 5]) added.push(briefs((await s.ingest(udp(n, scanner))).added));
        return { added, state: (await s.state()).map((r) => `${r.ip} ${r.port}/${r.proto}`).sort() };
      };
      const ignore = await run('ignore');
      const open = await run('open');
      const [open1, openFiltered1] = [await openPorts(udp(1, scanner)), await openPorts(udp(1, scanner), 'open|filtered')];
      // Night 1: 'ignore' reports the open ports only; 'open' also every open|filtered one.
      expect(ignore.added[0].filter((c) => c.port !== null).map((c) => `${c.ip} ${c.port}/${c.proto}`).sort()).toEqual(open1);
      expect(open.added[0].filter((c) => c.port !== null).map((c) => `${c.ip} ${c.port}/${c.proto}`).sort()).toEqual([...open1, ...openFiltered1].sort());
      // After night 5, 'open' still holds every open|filtered port of night 5; 'ignore' holds none of them.
      const openFiltered5 = await openPorts(udp(5, scanner), 'open|filtered');
      expect(openFiltered5.filter((p) => ignore.state.includes(p))).toEqual([]);
      expect(openFiltered5.filter((p) => !open.state.includes(p))).toEqual([]);
      expect(open.state.filter((p) => !ignore.state.includes(p)).every((p) => openFiltered5.includes(p))).toBe(true);
    });
  }
});
