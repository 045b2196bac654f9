import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { nmapGrepable, localTimeToUtc, parseNmapDate } from '../../input-agents/nmap-grepable';
import { ScanRejectedError, PortdeltaError } from '../../common/errors';
import type { HostRecord, ScanEndEvent, ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../../common/types';
import { countPorts } from '../../common/ports';

const SCANS = join(__dirname, '../fixtures/scans');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

async function collect(input: Readable, timezone = 'UTC', source = 'test.gnmap'): Promise<ScanEvent[]> {
  const out: ScanEvent[] = [];
  for await (const e of nmapGrepable.parse(input, { source, timezone })) out.push(e);
  return out;
}
const fromText = (text: string | Buffer, chunk = 0): Readable => {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  if (chunk <= 0) return Readable.from([buf]);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
};
const hostsOf = (ev: ScanEvent[]): HostRecord[] => ev.filter((e): e is HostRecord => e.kind === 'host');
const endOf = (ev: ScanEvent[]): ScanEndEvent => ev[ev.length - 1] as ScanEndEvent;
const warningsOf = (ev: ScanEvent[]): ScanWarningEvent[] => ev.filter((e): e is ScanWarningEvent => e.kind === 'warning');
const metaOf = (ev: ScanEvent[]): Omit<ScanMetaEvent, 'kind'> =>
  Object.assign({}, ...ev.filter((e) => e.kind === 'meta').map(({ kind: _k, ...m }) => m));
async function rejection(p: Promise<unknown>): Promise<ScanRejectedError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ScanRejectedError);
  return err as ScanRejectedError;
}

const HEADER = '# Nmap 7.93 scan initiated Mon Mar  3 02:00:00 2025 as: nmap -sS -sV -T4 -oG x 10.0.0.0/24\n';
const DONE = '# Nmap done at Mon Mar  3 02:00:09 2025 -- 256 IP addresses (1 host up) scanned in 9.05 seconds\n';

interface TruthScan {
  files: string[];
  complete: boolean;
  gnmap_complete?: boolean;
  down_hosts_listed?: number;
  hosts: Record<string, { hostname: string | null; open: string[] }>;
  non_open_states?: Record<string, Record<string, string>>;
}
const fixtures: Array<{ file: string; truth: TruthScan; xml: string }> = [];
for (const scenario of ['lab-a', 'lab6-a', 'loop-a']) {
  const gt = JSON.parse(readFileSync(join(SCANS, scenario, 'groundtruth.json'), 'utf8')) as { nights: Array<{ scans: TruthScan[] }> };
  for (const scan of gt.nights.flatMap((n) => n.scans)) {
    const g = scan.files.find((f) => f.endsWith('.gnmap'));
    if (g) fixtures.push({ file: join(SCANS, scenario, g), truth: scan, xml: join(SCANS, scenario, scan.files.find((f) => f.endsWith('.xml'))!) });
  }
}

describe('nmap-grepable on the real fixtures', () => {
  test('every .gnmap fixture has a ground-truth entry', () => {
    const all = walk(SCANS).filter((f) => f.endsWith('.gnmap')).sort();
    expect(all.length).toBeGreaterThan(20);
    expect(fixtures.map((f) => f.file).sort()).toEqual(all);
  });

  test.each(fixtures.map((f) => [relative(SCANS, f.file), f] as const))('%s gives the ground-truth hosts, names, ports and completeness', async (_name, { file, truth, xml }) => {
    const ev = await collect(createReadStream(file));
    const up = hostsOf(ev).filter((h) => h.status === 'up');
    expect(up.map((h) => h.ip).sort()).toEqual(Object.keys(truth.hosts).sort());
    expect(new Set(up.map((h) => h.ip)).size).toBe(up.length); // one record per host
    for (const h of up) {
      const t = truth.hosts[h.ip];
      expect(h.hostnames.map((n) => n.name)).toEqual(t.hostname === null ? [] : [t.hostname]);
      expect(h.ports.filter((p) => p.state === 'open').map((p) => `${p.port}/${p.proto}`).sort()).toEqual([...t.open].sort());
      const nonOpen = Object.fromEntries(h.ports.filter((p) => p.state !== 'open' && p.state !== 'closed').map((p) => [`${p.port}/${p.proto}`, p.state]));
      expect(nonOpen).toEqual(truth.non_open_states?.[h.ip] ?? {});
      expect(h.position).toMatch(/^line \d+$/);
    }
    const down = hostsOf(ev).filter((h) => h.status === 'down');
    expect(down.length).toBe(truth.down_hosts_listed ?? 0);
    const end = endOf(ev);
    expect(ev.filter((e) => e.kind === 'end')).toHaveLength(1);
    expect(end.kind).toBe('end');
    expect(end.complete).toBe(truth.gnmap_complete ?? truth.complete);
    // The header's local time read in UTC is the XML's start time (the fixtures ran with TZ=UTC).
    const x = readFileSync(xml, 'utf8');
    const meta = metaOf(ev);
    expect(meta.startedAt?.getTime()).toBe(Number(/<nmaprun [^>]*\bstart="(\d+)"/.exec(x)![1]) * 1000);
    const fin = /<finished time="(\d+)"/.exec(x);
    if (end.complete) expect(end.finishedAt?.getTime()).toBe(Number(fin![1]) * 1000);
    expect(meta).toMatchObject({ tool: 'nmap', toolVersion: '7.93', timezone: 'UTC', resolvesNames: true });
    expect(meta.args).toMatch(/^nmap .*-o[AG] /);
  });

  test('the truncated scan (lab-a night4 scan-out) is incomplete, warns, and keeps its 4 hosts', async () => {
    const ev = await collect(createReadStream(join(SCANS, 'lab-a/night4/scan-out/nmap-tcp.gnmap')));
    expect(endOf(ev)).toMatchObject({ kind: 'end', complete: false });
    expect(warningsOf(ev).map((w) => w.message)).toContain('no "# Nmap done" line: the scan was interrupted; only positive evidence is used');
    expect(hostsOf(ev).filter((h) => h.status === 'up').map((h) => h.ip)).toEqual(['10.66.1.1', '10.66.1.5', '10.66.1.10', '10.66.1.11']);
  });

  test("'# Ports scanned' becomes a 1000-port TCP scope without UDP or SCTP", async () => {
    const meta = metaOf(await collect(createReadStream(join(SCANS, 'lab-a/night4/scan-in/nmap-tcp.gnmap'))));
    expect(countPorts(meta.portScope?.tcp)).toBe(1000);
    expect(Object.keys(meta.portScope ?? {})).toEqual(['tcp']);
    expect(meta.portScope?.tcp?.[0]).toEqual({ lo: 1, hi: 1 });
    const loop = metaOf(await collect(createReadStream(join(SCANS, 'loop-a/night4/localscan/nmap-v4.gnmap'))));
    expect(loop.portScope).toEqual({ tcp: [{ lo: 1, hi: 10000 }] });
  });

  test("a '# Ports scanned' line that does not add up is a warning and gives no scope", async () => {
    const ev = await collect(fromText(HEADER + '# Ports scanned: TCP(3;1-2) UDP(0;) SCTP(0;) PROTOCOLS(0;)\n' + DONE));
    expect(metaOf(ev).portScope).toBeUndefined();
    expect(warningsOf(ev)[0]).toMatchObject({ message: expect.stringContaining('says 3 TCP ports but lists 2'), position: 'line 2' });
    expect(endOf(ev).complete).toBe(true);
  });

  test('without -v there is no port scope in the file', async () => {
    const meta = metaOf(await collect(createReadStream(join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.gnmap'))));
    expect(meta.portScope).toBeUndefined();
  });

  test('header times are read in the given zone: Europe/Berlin is one hour earlier in UTC in March', async () => {
    const file = join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.gnmap');
    const utc = await collect(createReadStream(file), 'UTC');
    const berlin = await collect(createReadStream(file), 'Europe/Berlin');
    expect(metaOf(utc).startedAt?.toISOString()).toBe('2025-03-03T02:00:00.000Z');
    expect(metaOf(berlin).startedAt?.toISOString()).toBe('2025-03-03T01:00:00.000Z');
    expect(metaOf(berlin).timezone).toBe('Europe/Berlin');
    expect(endOf(berlin).finishedAt?.toISOString()).toBe('2025-03-03T01:00:09.000Z');
  });

  test('without a zone the machine zone is used and recorded', async () => {
    const out: ScanEvent[] = [];
    for await (const e of nmapGrepable.parse(fromText(HEADER + DONE), { source: 'x' })) out.push(e);
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(metaOf(out).timezone).toBe(zone);
    expect(metaOf(out).startedAt?.getTime()).toBe(localTimeToUtc({ year: 2025, month: 3, day: 3, hour: 2, minute: 0, second: 0 }, zone).getTime());
  });

  test('reading in small chunks (split inside lines and UTF-8 characters) gives the same events', async () => {
    const file = join(SCANS, 'lab-a/night3/scan-in/nmap-tcp.gnmap');
    const text = readFileSync(file, 'utf8').replace('(gw.lab-a.test)', '(gw-ü.lab-a.test)').replace('(gw.lab-a.test)', '(gw-ü.lab-a.test)');
    const whole = await collect(fromText(text));
    expect(hostsOf(whole)[0].hostnames[0].name).toBe('gw-ü.lab-a.test');
    expect(await collect(fromText(text, 7))).toEqual(whole);
    expect(await collect(fromText(text.replace(/\n/g, '\r\n'), 5))).toEqual(whole);
  });
});

describe('nmap-grepable sniff', () => {
  const head = (p: string): Buffer => readFileSync(join(SCANS, p)).subarray(0, 4096);
  test.each([
    ['lab-a/night1/scan-in/nmap-tcp.gnmap', true],
    ['lab-a/night4/scan-in/nmap-tcp.gnmap', true],
    ['lab6-a/night3/scan6/nmap-tcp.gnmap', true],
    ['lab-a/night1/scan-in/nmap-tcp.nmap', false],
    ['lab-a/night4/scan-in/nmap-tcp.nmap', false],
    ['lab-a/night1/scan-in/nmap-tcp.xml', false],
    ['lab-a/night2/scan-in/masscan.list', false],
  ])('%s → %s', (p, expected) => {
    expect(nmapGrepable.sniff(head(p))).toBe(expected);
  });
  test('accepts a BOM and header-less Host lines; rejects other text', () => {
    expect(nmapGrepable.sniff(Buffer.from('\uFEFF' + HEADER))).toBe(true);
    expect(nmapGrepable.sniff(Buffer.from('Host: 10.0.0.1 ()\tStatus: Up\n'))).toBe(true);
    expect(nmapGrepable.sniff(Buffer.from('Host: fd00::1 (a.b)\tPorts: 22/open/tcp//ssh///\n'))).toBe(true);
    expect(nmapGrepable.sniff(Buffer.from('ip,port,proto\n10.0.0.1,80,tcp\n'))).toBe(false);
    expect(nmapGrepable.sniff(Buffer.from('# Nmap is great\n'))).toBe(false);
  });
});

describe('nmap-grepable on synthetic input', () => {
  test('version strings with commas and | and all port states are split correctly', async () => {
    const ports = [
      '22/open/tcp//ssh//OpenSSH 9.2p1 Debian, protocol 2.0/',
      '443/open/tcp//ssl|http//nginx, built by a|b, 1.0/',
      '631/open/tcp//ipp//CUPS|2.4 IPP|2.1/',
      '53/open|filtered/udp//domain///',
      '161/closed|filtered/udp//snmp///',
      '80/unfiltered/tcp//http///',
      '135/filtered/tcp//msrpc///',
      '7/closed/sctp//echo///',
    ].join(', ');
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 (a.example)\tStatus: Up\nHost: 10.0.0.1 (a.example)\tPorts: ${ports}\tIgnored State: closed (992)\n${DONE}`));
    const [h] = hostsOf(ev);
    expect(h.ports).toEqual([
      { port: 22, proto: 'tcp', state: 'open', service: 'ssh', version: 'OpenSSH 9.2p1 Debian, protocol 2.0' },
      { port: 443, proto: 'tcp', state: 'open', service: 'ssl/http', version: 'nginx, built by a/b, 1.0' },
      { port: 631, proto: 'tcp', state: 'open', service: 'ipp', version: 'CUPS/2.4 IPP/2.1' },
      { port: 53, proto: 'udp', state: 'open|filtered', service: 'domain' },
      { port: 161, proto: 'udp', state: 'closed|filtered', service: 'snmp' },
      { port: 80, proto: 'tcp', state: 'unfiltered', service: 'http' },
      { port: 135, proto: 'tcp', state: 'filtered', service: 'msrpc' },
      { port: 7, proto: 'sctp', state: 'closed', service: 'echo' },
    ]);
    expect(h).toMatchObject({ ip: '10.0.0.1', status: 'up', hostnames: [{ name: 'a.example', type: 'PTR' }], position: 'line 2' });
    expect(hostsOf(ev)).toHaveLength(1);
    expect(endOf(ev).complete).toBe(true);
  });

  test('IPv6 addresses become canonical; a Ports line alone means up; OS and sequence fields are ignored', async () => {
    const ev = await collect(fromText(`${HEADER}Host: FDAA:0066:0003:0000::0010 ()\tPorts: 80/open/tcp//http///\tIgnored State: closed (999)\tOS: Linux 5.X\tSeq Index: 260\tIP ID Seq: All zeros\n${DONE}`));
    expect(hostsOf(ev)).toEqual([
      { kind: 'host', ip: 'fdaa:66:3::10', status: 'up', hostnames: [], ports: [{ port: 80, proto: 'tcp', state: 'open', service: 'http' }], position: 'line 2' },
    ]);
  });

  test('Status: Down lines become down hosts; -n means the scan says nothing about names', async () => {
    const text = HEADER.replace('-sS', '-sS -n') + 'Host: 10.0.0.2 ()\tStatus: Down\nHost: 10.0.0.3 ()\tStatus: Up\n' + DONE;
    const ev = await collect(fromText(text));
    expect(hostsOf(ev).map((h) => [h.ip, h.status])).toEqual([['10.0.0.2', 'down'], ['10.0.0.3', 'up']]);
    expect(metaOf(ev).resolvesNames).toBe(false);
    // nmap's getopt gives -v an optional argument, so '-vn' is not -n (nmap rejects it); '-nv' is.
    expect(metaOf(await collect(fromText(HEADER.replace('-sS', '-nv') + DONE))).resolvesNames).toBe(false);
    expect(metaOf(await collect(fromText(HEADER.replace('-sS', '-Pn') + DONE))).resolvesNames).toBe(true);
  });

  test("'Ignored State: open|filtered' marks the unlisted ports of the scope as unknown", async () => {
    const text = HEADER + '# Ports scanned: TCP(0;) UDP(5;53,123,161,514,5353) SCTP(0;) PROTOCOLS(0;)\n'
      + 'Host: 10.0.0.1 ()\tStatus: Up\nHost: 10.0.0.1 ()\tPorts: 53/open/udp//domain///, 161/closed/udp//snmp///\tIgnored State: open|filtered (3)\n' + DONE;
    const [h] = hostsOf(await collect(fromText(text)));
    expect(h.unknownPorts).toEqual({ udp: [{ lo: 123, hi: 123 }, { lo: 514, hi: 514 }, { lo: 5353, hi: 5353 }] });
  });

  test('a Ports line listing every TCP and UDP port is read in full', async () => {
    const entries: string[] = [];
    for (const proto of ['tcp', 'udp']) for (let p = 0; p <= 65535; p++) entries.push(`${p}/open|filtered/${proto}/////`);
    const [h] = hostsOf(await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tStatus: Up\nHost: 10.0.0.1 ()\tPorts: ${entries.join(', ')}\n${DONE}`)));
    expect(h.ports).toHaveLength(131072);
    expect(h.ports[131071]).toEqual({ proto: 'udp', port: 65535, state: 'open|filtered' });
  });

  test('a garbage line is a damaged record: skipped with its line number, and the scan is incomplete', async () => {
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tStatus: Up\nthis is not nmap\nHost: 10.0.0.1 ()\tPorts: 22/open/tcp//ssh///\n\n# a comment\n${DONE}`));
    expect(warningsOf(ev)).toEqual([{ kind: 'warning', message: expect.stringContaining('this is not nmap'), position: 'line 3', skippedRecord: true }]);
    expect(endOf(ev).complete).toBe(false);
    expect(hostsOf(ev).flatMap((h) => h.ports.map((p) => p.port))).toEqual([22]);
  });

  test('an invalid address skips that line, naming line and value; the other hosts are read', async () => {
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tStatus: Up\nHost: 999.1.1.1 ()\tStatus: Up\n${DONE}`), 'UTC', 'scans/bad.gnmap');
    expect(warningsOf(ev)).toEqual([{ kind: 'warning', message: expect.stringContaining("'999.1.1.1'"), position: 'line 3', skippedRecord: true }]);
    expect(hostsOf(ev).map((h) => h.ip)).toEqual(['10.0.0.1']);
    expect(endOf(ev)).toMatchObject({ complete: false, reason: expect.stringContaining('1 damaged record') });
  });

  test('a file whose only host line has an invalid address is rejected, naming file and line', async () => {
    const err = await rejection(collect(fromText(`${HEADER}Host: 999.1.1.1 ()\tStatus: Up\n${DONE}`), 'UTC', 'scans/bad.gnmap'));
    expect(err.file).toBe('scans/bad.gnmap');
    expect(err.position).toBe('line 2');
    expect(err.message).toMatch(/no readable host record.*999\.1\.1\.1/);
    expect(err.remedy).toBeTruthy();
  });

  test.each([
    ['a port outside 0-65535', '22/open/tcp//ssh///, 70000/open/tcp//x///', '70000'],
    ['an unknown port state', '22/ajar/tcp//ssh///', 'ajar'],
    ['an unknown protocol', '22/open/gre//ssh///', 'gre'],
    ['a malformed entry', '22/open', '22/open'],
  ])('%s damages its line; alone, the file is rejected', async (_what, ports, value) => {
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tPorts: ${ports}\nHost: 10.0.0.2 ()\tPorts: 80/open/tcp//http///\n${DONE}`));
    expect(warningsOf(ev)).toEqual([expect.objectContaining({ message: expect.stringContaining(value), position: 'line 2', skippedRecord: true })]);
    expect(hostsOf(ev).map((h) => h.ip)).toEqual(['10.0.0.2']);
    const err = await rejection(collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tPorts: ${ports}\n${DONE}`)));
    expect(err.position).toBe('line 2');
    expect(err.message).toContain(value);
  });

  test.each([
    ['one space', ' '],
    ['runs of spaces', '    '],
  ])('TABs turned into %s are read as the original', async (_what, gap) => {
    const lines = [
      'Host: 10.0.0.1 (a.example)\tStatus: Up',
      'Host: 10.0.0.1 (a.example)\tPorts: 22/open/tcp//ssh//OpenSSH 9.2p1 Debian, protocol 2.0/, 80/closed/tcp//http///\tIgnored State: filtered (998)\tOS: Linux 5.X\tSeq Index: 260\tIP ID Seq: All zeros',
      'Host: 10.0.0.2 ()\tPorts: \tIgnored State: closed (1000)',
    ].join('\n');
    const original = await collect(fromText(`${HEADER}${lines}\n${DONE}`));
    const spaced = await collect(fromText(`${HEADER}${lines.replace(/\t/g, gap)}\n${DONE}`));
    expect(warningsOf(spaced)).toEqual([]);
    expect(spaced).toEqual(original);
    expect(hostsOf(spaced).map((h) => h.ports.map((p) => `${p.port}/${p.state}`))).toEqual([['22/open', '80/closed'], []]);
  });

  test('a spaced line whose fields cannot be told apart is a damaged record, not a guess', async () => {
    // 'Ports:' twice: where the first list ends is a guess.
    const line = 'Host: 10.0.0.1 ()  Ports: 22/open/tcp//ssh///  Ports: 80/open/tcp//http///';
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.2 ()\tStatus: Up\n${line}\n${DONE}`));
    expect(warningsOf(ev)).toEqual([expect.objectContaining({ message: expect.stringContaining('cannot be told apart'), position: 'line 3', skippedRecord: true })]);
    expect(endOf(ev).complete).toBe(false);
  });

  test('an IPv6 zone id is dropped from the address with a warning', async () => {
    const ev = await collect(fromText(`${HEADER}Host: fe80::1%eth0 ()\tStatus: Up\nHost: fe80::1%eth0 ()\tPorts: 22/open/tcp//ssh///\n${DONE}`));
    expect(hostsOf(ev).map((h) => h.ip)).toEqual(['fe80::1']);
    expect(warningsOf(ev)).toEqual([{ kind: 'warning', message: expect.stringMatching(/zone id '%eth0' of fe80::1 is dropped/), position: 'line 2' }]);
  });

  test('binary data forced through the agent is rejected', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const err = await rejection(collect(fromText(bytes)));
    expect(err.file).toBe('test.gnmap');
    expect(err.position).toMatch(/^line \d+$/);
    await rejection(collect(fromText('\u0001\u0002 just text without header\n')));
  });

  test('nmap normal output (-oN) forced through the agent is rejected with a remedy', async () => {
    const err = await rejection(collect(createReadStream(join(SCANS, 'lab-a/night4/scan-in/nmap-tcp.nmap'))));
    expect(err.message).toContain('-oN');
    expect(err.position).toBe('line 2');
  });

  test('an empty file is rejected', async () => {
    await rejection(collect(fromText('')));
  });

  test('two runs in one file (--append-output) are rejected', async () => {
    const err = await rejection(collect(fromText(HEADER + DONE + HEADER + DONE)));
    expect(err.position).toBe('line 3');
  });

  test('a cut-off last line is skipped with a warning; no done line → incomplete', async () => {
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tStatus: Up\nHost: 10.0.0.1 ()\tPorts: 22/open/tcp//ssh///\nHost: 10.0.0.2 ()\tPorts: 22/open/tcp//ss`));
    expect(hostsOf(ev).map((h) => h.ip)).toEqual(['10.0.0.1']);
    expect(warningsOf(ev).map((w) => w.position)).toEqual(['line 4', 'line 4']);
    expect(endOf(ev)).toMatchObject({ complete: false });
  });

  test('header-less Host lines are read with a warning', async () => {
    const ev = await collect(fromText('Host: 10.0.0.1 ()\tStatus: Up\n'));
    expect(hostsOf(ev)).toHaveLength(1);
    expect(warningsOf(ev)[0].message).toContain('header');
    expect(endOf(ev).complete).toBe(false);
  });

  test('meta comes before the first host and exactly one end comes last', async () => {
    const ev = await collect(fromText(`${HEADER}Host: 10.0.0.1 ()\tStatus: Up\n${DONE}`));
    expect(ev.map((e) => e.kind)).toEqual(['meta', 'host', 'meta', 'end']);
  });

  test('an unknown time zone is a configuration error', async () => {
    const err = await collect(fromText(HEADER + DONE), 'Mars/Olympus').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PortdeltaError);
    expect((err as PortdeltaError).code).toBe('CONFIG');
  });
});

describe('local times in a zone', () => {
  const wall = (s: string) => {
    const [d, t] = s.split(' ');
    const [year, month, day] = d.split('-').map(Number);
    const [hour, minute, second] = t.split(':').map(Number);
    return { year, month, day, hour, minute, second };
  };
  test.each([
    ['2025-03-03 02:00:00', 'UTC', '2025-03-03T02:00:00.000Z'],
    ['2025-03-03 02:00:00', 'Europe/Berlin', '2025-03-03T01:00:00.000Z'],
    ['2025-07-01 12:00:00', 'Europe/Berlin', '2025-07-01T10:00:00.000Z'],
    ['2025-03-30 02:30:00', 'Europe/Berlin', '2025-03-30T01:30:00.000Z'], // does not exist: moves forward
    ['2025-10-26 02:30:00', 'Europe/Berlin', '2025-10-26T00:30:00.000Z'], // twice: the earlier
    ['2025-11-02 01:30:00', 'America/New_York', '2025-11-02T05:30:00.000Z'],
    ['2025-01-15 23:59:59', 'Asia/Kolkata', '2025-01-15T18:29:59.000Z'],
    ['2025-12-31 23:00:00', 'Pacific/Auckland', '2025-12-31T10:00:00.000Z'],
  ])('%s in %s is %s', (w, zone, expected) => {
    expect(localTimeToUtc(wall(w), zone).toISOString()).toBe(expected);
  });

  test("parses nmap's ctime dates and refuses others", () => {
    expect(parseNmapDate('Mon Mar  3 02:00:09 2025', 'UTC')?.toISOString()).toBe('2025-03-03T02:00:09.000Z');
    expect(parseNmapDate('Sat Mar 15 23:01:02 2025', 'UTC')?.toISOString()).toBe('2025-03-15T23:01:02.000Z');
    expect(parseNmapDate('Mon Foo  3 02:00:09 2025', 'UTC')).toBeUndefined();
    expect(parseNmapDate('2025-03-03 02:00:09', 'UTC')).toBeUndefined();
  });
});
