// The nmap XML reader told that down hosts are not needed (ParseContext.dropDownHosts) passes over
// the down records nmap writes without reading them. What the ingest gets must not change: the same
// events once unneeded hosts are left out (delta-reporter/down-hosts.ts), the same number of host
// records, the same warnings and positions, and a damaged or cut-off down record read in full.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ScanEvent } from '../../common/types';
import { unneededHost } from '../../delta-reporter/down-hosts';
import { nmapXml } from '../../input-agents/nmap-xml';
import { UNREAD_DOWN_HOST } from '../../input-agents/types';
import { SCANS } from '../helpers/cli';

function xmlFixtures(dir = SCANS): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? xmlFixtures(path.join(dir, e.name)) : e.name.endsWith('.xml') ? [path.join(dir, e.name)] : [],
  );
}

interface Read {
  events: ScanEvent[];
  hosts: number;
  unread: number;
  error?: string;
}

async function read(text: string, chunk: number, drop: boolean): Promise<Read> {
  const parts: Buffer[] = [];
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const r: Read = { events: [], hosts: 0, unread: 0 };
  try {
    for await (const ev of nmapXml.parse(Readable.from(parts), { source: 't.xml', ...(drop ? { dropDownHosts: () => true } : {}) })) {
      if (ev.kind === 'host') r.hosts++;
      if (ev === UNREAD_DOWN_HOST) r.unread++;
      else if (!(ev.kind === 'host' && unneededHost(ev, false))) r.events.push(ev);
    }
  } catch (err) {
    r.error = (err as Error).message;
  }
  return r;
}

async function same(text: string, chunk: number): Promise<Read> {
  const plain = await read(text, chunk, false);
  const dropped = await read(text, chunk, true);
  expect(dropped.events).toEqual(plain.events);
  expect(dropped.hosts).toBe(plain.hosts);
  expect(dropped.error).toBe(plain.error);
  return dropped;
}

const HEAD = '<?xml version="1.0"?>\n<nmaprun scanner="nmap" args="nmap -sS 10.0.0.0/30" start="1741226400" version="7.93">\n<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>\n';
const DOWN = (ip: string) => `<host><status state="down" reason="no-response" reason_ttl="0"/>\n<address addr="${ip}" addrtype="ipv4"/>\n</host>\n`;
const UP = (ip: string) => `<host><status state="up" reason="echo-reply" reason_ttl="63"/>\n<address addr="${ip}" addrtype="ipv4"/>\n<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="63"/></port></ports>\n</host>\n`;
const TAIL = '<runstats><finished time="1741226500"/><hosts up="1" down="3" total="4"/></runstats>\n</nmaprun>\n';

describe('nmap XML reader passing over unneeded down hosts', () => {
  const files = xmlFixtures();
  const withDown = files.filter((f) => fs.readFileSync(f, 'utf8').includes('<host><status state="down"'));

  test('has real nmap files with down hosts to compare on', () => expect(withDown.length).toBeGreaterThanOrEqual(4));

  test.each(files.map((f) => [path.relative(SCANS, f), f]))('%s: the same events, host count and errors', async (_n, file) => {
    const text = fs.readFileSync(file, 'utf8');
    const r = await same(text, 4096);
    if (withDown.includes(file) && !r.error) expect(r.unread).toBeGreaterThan(0);
    await same(text, 97);
  });

  test('a down host with an address nmap never writes is read in full and skipped as damaged', async () => {
    const text = HEAD + DOWN('10.0.0.1') + DOWN('10.0.0.999') + UP('10.0.0.3') + TAIL;
    const r = await same(text, 4096);
    expect(r.unread).toBe(1);
    const warnings = r.events.filter((e) => e.kind === 'warning');
    expect(warnings).toEqual([expect.objectContaining({ skippedRecord: true, message: expect.stringContaining('10.0.0.999') })]);
    expect(r.events.at(-1)).toMatchObject({ kind: 'end', complete: false });
  });

  test('a down record of another shape (timed out, with a name) is read in full and kept when it matters', async () => {
    const timedOut = '<host timedout="true"><status state="down" reason="no-response" reason_ttl="0"/>\n<address addr="10.0.0.2" addrtype="ipv4"/>\n</host>\n';
    const named = '<host><status state="down" reason="no-response" reason_ttl="0"/>\n<address addr="10.0.0.4" addrtype="ipv4"/>\n<hostnames><hostname name="x.example" type="PTR"/></hostnames>\n</host>\n';
    const r = await same(HEAD + DOWN('10.0.0.1') + timedOut + named + UP('10.0.0.3') + TAIL, 4096);
    expect(r.unread).toBe(1);
    expect(r.events.filter((e) => e.kind === 'host').map((e) => e.kind === 'host' && e.ip)).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  test.each([10, 40, 80, 120])('a file cut off inside a down record (%i bytes in) ends as it would unread', async (cut) => {
    const whole = HEAD + UP('10.0.0.1') + DOWN('10.0.0.2');
    const text = whole.slice(0, whole.length - DOWN('10.0.0.2').length + cut);
    const r = await same(text, 4096);
    const end = r.events.at(-1);
    expect(end).toMatchObject({ kind: 'end', complete: false });
  });

  test('the truncation message names the last down host passed over, as it names a read one', async () => {
    const text = HEAD + UP('10.0.0.1') + DOWN('10.0.0.2') + '<host><status state="up"';
    const r = await same(text, 4096);
    expect(r.unread).toBe(1);
    expect(r.events.find((e) => e.kind === 'warning')).toMatchObject({ message: expect.stringContaining('10.0.0.2 (record 2)') });
  });

  test('records that only look like down hosts inside a comment are not passed over as hosts', async () => {
    const text = HEAD + `<!-- ${DOWN('10.0.0.9')} -->\n` + UP('10.0.0.1') + TAIL;
    const r = await same(text, 4096);
    expect(r.hosts).toBe(1);
    expect(r.unread).toBe(0);
  });
});
