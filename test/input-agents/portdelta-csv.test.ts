import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { portdeltaCsv, formatUniformCsv, scanEventsToUniformCsv, csvField } from '../../input-agents/portdelta-csv';
import { nmapGrepable } from '../../input-agents/nmap-grepable';
import { ScanRejectedError } from '../../common/errors';
import { parseTargets } from '../../common/ip';
import type { HostRecord, ScanEndEvent, ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../../common/types';

const SCANS = join(__dirname, '../fixtures/scans');

async function collect(input: Readable | string, source = 'test.csv'): Promise<ScanEvent[]> {
  const stream = typeof input === 'string' ? Readable.from([Buffer.from(input)]) : input;
  const out: ScanEvent[] = [];
  for await (const e of portdeltaCsv.parse(stream, { source })) out.push(e);
  return out;
}
async function text(lines: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const l of lines) s += l;
  return s;
}
async function events(src: AsyncIterable<ScanEvent>): Promise<ScanEvent[]> {
  const out: ScanEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const hostsOf = (ev: ScanEvent[]): HostRecord[] => ev.filter((e): e is HostRecord => e.kind === 'host');
const endOf = (ev: ScanEvent[]): ScanEndEvent => ev[ev.length - 1] as ScanEndEvent;
const warningsOf = (ev: ScanEvent[]): ScanWarningEvent[] => ev.filter((e): e is ScanWarningEvent => e.kind === 'warning');
const metaOf = (ev: ScanEvent[]): Omit<ScanMetaEvent, 'kind'> =>
  Object.assign({}, ...ev.filter((e) => e.kind === 'meta').map(({ kind: _k, ...m }) => m));
const noPosition = (hs: HostRecord[]) => hs.map(({ position: _p, ...h }) => h);
async function rejection(p: Promise<unknown>): Promise<ScanRejectedError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ScanRejectedError);
  return err as ScanRejectedError;
}

const DESIGN_EXAMPLE = `#portdelta-csv v1
#scanner=dmz-external
#started=2026-11-21T02:00:00Z
#finished=2026-11-21T02:41:13Z
#complete=true
#scope=10.1.0.0/16
#ports=tcp:1-65535;udp:53,161
ip,proto,port,state,hostname,seen_at
10.1.123.123,tcp,80,open,www.example.com,2026-11-21T02:13:07Z
10.1.123.124,,,up,,
`;

describe('portdelta-csv sniff', () => {
  test.each([
    [DESIGN_EXAMPLE, true],
    ['\uFEFF#portdelta-csv v2\n', true],
    ['10.0.0.1,80,tcp\n', true],
    ['\n10.0.0.1,443,tcp,1384300000\n', true],
    ['fd00::1,53,udp,2013-11-13T00:00:00Z\n', true],
    ['10.0.0.1,80\n', false],
    ['999.0.0.1,80,tcp\n', false],
    ['ip,proto,port,state\n', false],
    ['# Nmap 7.93 scan initiated Mon Mar  3 02:00:00 2025 as: nmap x\n', false],
    ['<?xml version="1.0"?>\n', false],
  ])('%j → %s', (head, expected) => {
    expect(portdeltaCsv.sniff(Buffer.from(head))).toBe(expected);
  });
});

describe('portdelta-csv reading the uniform format', () => {
  test('the DESIGN §5 example', async () => {
    const ev = await collect(DESIGN_EXAMPLE);
    expect(metaOf(ev)).toEqual({
      scanner: 'dmz-external',
      startedAt: new Date('2026-11-21T02:00:00Z'),
      finishedAt: new Date('2026-11-21T02:41:13Z'),
      hostScope: parseTargets(['10.1.0.0/16']),
      portScope: { tcp: [{ lo: 1, hi: 65535 }], udp: [{ lo: 53, hi: 53 }, { lo: 161, hi: 161 }] },
      resolvesNames: true,
    });
    expect(hostsOf(ev)).toEqual([
      {
        kind: 'host', ip: '10.1.123.123', status: 'up', hostnames: [{ name: 'www.example.com', type: 'PTR' }],
        ports: [{ proto: 'tcp', port: 80, state: 'open' }], seenAt: new Date('2026-11-21T02:13:07Z'), position: 'line 9',
      },
      { kind: 'host', ip: '10.1.123.124', status: 'up', hostnames: [], ports: [], position: 'line 10' },
    ]);
    expect(endOf(ev)).toEqual({ kind: 'end', complete: true, finishedAt: new Date('2026-11-21T02:41:13Z') });
    expect(ev[0].kind).toBe('meta');
    expect(ev.filter((e) => e.kind === 'end')).toHaveLength(1);
  });

  test('#complete=false makes the end incomplete; so does a missing #complete, with a reason', async () => {
    expect(endOf(await collect(DESIGN_EXAMPLE.replace('#complete=true', '#complete=false'))).complete).toBe(false);
    const missing = endOf(await collect(DESIGN_EXAMPLE.replace('#complete=true\n', '')));
    expect(missing).toMatchObject({ complete: false, reason: expect.stringContaining('#complete=true') });
    const err = await rejection(collect(DESIGN_EXAMPLE.replace('#complete=true', '#complete=maybe')));
    expect(err.position).toBe('line 5');
  });

  test('quoted hostnames with commas, extra columns by header name, and several rows per host', async () => {
    const csv = '#portdelta-csv v1\nip,proto,port,state,hostname,seen_at,banner,service,mac\n'
      + '10.0.0.1,tcp,22,open,"odd,name.example",,"SSH-2.0-OpenSSH_9.2, Debian",ssh,\n'
      + '10.0.0.1,tcp,25,closed,"odd,name.example",,,smtp,\n'
      + '10.0.0.1,,,up,"odd,name.example",,,,02:00:00:00:00:01\n';
    const [h, ...more] = hostsOf(await collect(csv));
    expect(more).toEqual([]);
    expect(h).toEqual({
      kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [{ name: 'odd,name.example', type: 'PTR' }], mac: '02:00:00:00:00:01', position: 'line 3',
      ports: [
        { proto: 'tcp', port: 22, state: 'open', banner: 'SSH-2.0-OpenSSH_9.2, Debian', service: 'ssh' },
        { proto: 'tcp', port: 25, state: 'closed', service: 'smtp' },
      ],
    });
  });

  test('columns may come in any order and unknown columns are ignored', async () => {
    const [h] = hostsOf(await collect('#portdelta-csv v1\nstate,port,proto,ip,colour\nopen,443,tcp,10.0.0.7,blue\n'));
    expect(h).toMatchObject({ ip: '10.0.0.7', ports: [{ proto: 'tcp', port: 443, state: 'open' }] });
  });

  test('down rows, IPv6 canonicalisation, non-contiguous repeats and CRLF line ends', async () => {
    const csv = '#portdelta-csv v1\r\nip,proto,port,state,hostname,seen_at\r\n10.0.0.9,,,down,,\r\nFD00:0::0001,udp,53,open|filtered,,\r\n10.0.0.9,tcp,80,open,,\r\n';
    const hs = hostsOf(await collect(csv));
    expect(hs.map((h) => [h.ip, h.status, h.ports.map((p) => `${p.port}/${p.proto}/${p.state}`).join()])).toEqual([
      ['10.0.0.9', 'down', ''], ['fd00::1', 'up', '53/udp/open|filtered'], ['10.0.0.9', 'up', '80/tcp/open'],
    ]);
    expect(hs.map((h) => h.position)).toEqual(['line 3', 'line 4', 'line 5']);
  });

  test('a header-only file is a scan that found nothing; header lines after the rows are a trailer', async () => {
    const empty = await collect('#portdelta-csv v1\n#complete=true\nip,proto,port,state,hostname,seen_at\n');
    expect(hostsOf(empty)).toEqual([]);
    expect(endOf(empty).complete).toBe(true);
    const trailer = await collect('#portdelta-csv v1\n#complete=false\nip,proto,port,state\n10.0.0.1,tcp,80,open\n#finished=2026-01-02T03:04:05Z\n#complete=true\n');
    expect(endOf(trailer)).toEqual({ kind: 'end', complete: true, finishedAt: new Date('2026-01-02T03:04:05Z') });
    expect(metaOf(trailer).resolvesNames).toBe(false); // no hostname column, no #dns
  });

  test('optional headers: #tool, #args, #dns', async () => {
    const meta = metaOf(await collect('#portdelta-csv v1\n#tool=masscan\n#args=masscan -p 1-1024,U:53 "x"\n#dns=false\nip,proto,port,state,hostname\n'));
    expect(meta).toMatchObject({ tool: 'masscan', args: 'masscan -p 1-1024,U:53 "x"', resolvesNames: false });
  });

  test('an unknown header key is a warning', async () => {
    const ev = await collect('#portdelta-csv v1\n#colour=blue\nip,proto,port,state\n');
    expect(warningsOf(ev)).toEqual([{ kind: 'warning', message: expect.stringContaining('colour'), position: 'line 2' }]);
  });

  test('an unknown major version is rejected with a clear message', async () => {
    const err = await rejection(collect('#portdelta-csv v2\nip,proto,port,state\n'));
    expect(err.message).toContain('v2');
    expect(err.position).toBe('line 1');
    expect(err.remedy).toContain('upgrade');
  });

  test.each([
    ['10.0.0.300,tcp,80,open', "'10.0.0.300'"],
    ['10.0.0.1,tcp,70000,open', "'70000'"],
    ['10.0.0.1,tcp,-1,open', "'-1'"],
    ['10.0.0.1,icmp,8,open', "'icmp'"],
    ['10.0.0.1,tcp,80,ajar', "'ajar'"],
    ['10.0.0.1,,,sideways', "'sideways'"],
    ['10.0.0.1,tcp,,open', "''"],
    ['10.0.0.1,tcp,80,open,,yesterday', "'yesterday'"],
    ['10.0.0.3,tcp,80,open,,,extra', '7 columns'],
  ])('the bad row %j is skipped, naming line and value, and the scan is incomplete', async (bad, value) => {
    const csv = `#portdelta-csv v1\n#complete=true\nip,proto,port,state,hostname,seen_at\n10.0.0.1,tcp,22,open,,\n10.0.0.2,tcp,"22",open,,\n${bad}\n`;
    const ev = await collect(csv, 'inbox/x.csv');
    expect(ev.filter((e) => e.kind === 'warning' && e.skippedRecord)).toEqual([expect.objectContaining({ position: 'line 6', message: expect.stringContaining(value) })]);
    expect(hostsOf(ev).map((h) => h.ports.map((p) => `${h.ip}:${p.port}`)).flat()).toEqual(['10.0.0.1:22', '10.0.0.2:22']);
    expect(endOf(ev).complete).toBe(false);
    const err = await rejection(collect(`#portdelta-csv v1\n#complete=true\nip,proto,port,state,hostname,seen_at\n${bad}\n`, 'inbox/x.csv'));
    expect(err.file).toBe('inbox/x.csv');
    expect(err.position).toBe('line 4');
    expect(err.message).toContain(value);
    expect(err.remedy).toBeTruthy();
  });

  test('line numbers count the lines of a quoted multi-line field', async () => {
    const csv = '#portdelta-csv v1\nip,proto,port,state,hostname,seen_at,banner\n10.0.0.1,tcp,22,open,,,"line one\nline two"\n10.0.0.2,tcp,99999,open,,,\n';
    const ev = await collect(csv);
    expect(ev.filter((e) => e.kind === 'warning' && e.skippedRecord)).toEqual([expect.objectContaining({ position: 'line 5' })]);
    const ok = hostsOf(await collect(csv.replace('99999', '80')));
    expect(ok[0].ports[0].banner).toBe('line one\nline two');
    expect(ok[1].position).toBe('line 5');
  });

  test('an unclosed quote is rejected', async () => {
    await rejection(collect('#portdelta-csv v1\nip,proto,port,state,hostname\n10.0.0.1,tcp,22,open,"unclosed\n'));
  });

  test('a magic line without a column line is rejected', async () => {
    const err = await rejection(collect('#portdelta-csv v1\n10.0.0.1,tcp,22,open,,\n'));
    expect(err.message).toContain('column line');
  });

  test('an empty file, or something else entirely, is rejected when forced', async () => {
    await rejection(collect(''));
    const bytes = Buffer.alloc(2048);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    await rejection(collect(Readable.from([bytes])));
    await rejection(collect(createReadStream(join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.gnmap'))));
  });
});

describe("portdelta-csv reading Dr. Portscan's lines", () => {
  test('lines without timestamps: open ports, no scope, no names', async () => {
    const ev = await collect('10.0.0.1,22,tcp\n10.0.0.1,80,TCP\n10.0.0.2,53,udp\n');
    expect(hostsOf(ev)).toEqual([
      { kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [], ports: [{ proto: 'tcp', port: 22, state: 'open' }, { proto: 'tcp', port: 80, state: 'open' }], position: 'line 1' },
      { kind: 'host', ip: '10.0.0.2', status: 'up', hostnames: [], ports: [{ proto: 'udp', port: 53, state: 'open' }], position: 'line 3' },
    ]);
    expect(metaOf(ev)).toEqual({ resolvesNames: false });
    expect(endOf(ev).complete).toBe(true);
  });

  test('lines with unix or ISO timestamps: startedAt is the smallest', async () => {
    const ev = await collect('10.0.0.1,22,tcp,1384300100\n10.0.0.1,80,tcp,1384300000\n10.0.0.2,443,tcp,2013-11-12T23:40:00Z\n10.0.0.3,25,tcp\n');
    const hs = hostsOf(ev);
    expect(hs.map((h) => h.seenAt?.toISOString())).toEqual(['2013-11-12T23:46:40.000Z', '2013-11-12T23:40:00.000Z', undefined]);
    expect(metaOf(ev).startedAt?.toISOString()).toBe('2013-11-12T23:40:00.000Z');
    expect(metaOf(ev).hostScope).toBeUndefined();
    expect(metaOf(ev).portScope).toBeUndefined();
  });

  test('a bad Dr. Portscan line is skipped with its line number, and the scan is incomplete', async () => {
    const ev = await collect('10.0.0.1,22,tcp\n10.0.0.1,22,tcp\n10.0.0.1,65536,tcp\n');
    expect(ev.filter((e) => e.kind === 'warning' && e.skippedRecord)).toEqual([expect.objectContaining({ position: 'line 3', message: expect.stringContaining('65536') })]);
    expect(endOf(ev).complete).toBe(false);
    expect((await collect('10.0.0.1,22,tcp\nwho,22,tcp\n')).filter((e) => e.kind === 'warning')).toEqual([expect.objectContaining({ message: expect.stringContaining("'who'") })]);
    expect((await rejection(collect('who,22,tcp\n'))).message).toMatch(/no readable host record.*'who'/);
  });
});

describe('portdelta-csv writer', () => {
  const gnmaps = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  })(SCANS).filter((f) => f.endsWith('.gnmap'));

  test.each(gnmaps.map((f) => [relative(SCANS, f), f]))('round trip of %s through nmap-grepable, the writer and the reader', async (_n, file) => {
    const original = await events(nmapGrepable.parse(createReadStream(file), { source: file, timezone: 'Europe/Berlin' }));
    const csv = await text(scanEventsToUniformCsv(original, { scanner: 'scan-in' }));
    const back = await collect(csv);
    expect(noPosition(hostsOf(back))).toEqual(noPosition(hostsOf(original)));
    expect(metaOf(back)).toEqual({ ...metaOf(original), scanner: 'scan-in' });
    expect(endOf(back).complete).toBe(endOf(original).complete);
    expect(endOf(back).finishedAt).toEqual(endOf(original).finishedAt);
    expect(portdeltaCsv.sniff(Buffer.from(csv.slice(0, 4096)))).toBe(true);
  });

  test('a copy of the streamed CSV cut before its trailer reads as incomplete', async () => {
    const file = join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.gnmap');
    const csv = await text(scanEventsToUniformCsv(nmapGrepable.parse(createReadStream(file), { source: file, timezone: 'UTC' })));
    expect(csv).toMatch(/\n#complete=true\n$/);
    const cut = csv.slice(0, csv.indexOf('\n#finished=') + 1);
    expect(endOf(await collect(cut)).complete).toBe(false);
    expect(endOf(await collect(csv)).complete).toBe(true);
  });

  test('event streams without hosts, or without an end, and warnings', async () => {
    const warnings: ScanWarningEvent[] = [];
    const noHosts: ScanEvent[] = [
      { kind: 'meta', scanner: 'from-file', startedAt: new Date('2026-01-01T00:00:00Z') },
      { kind: 'warning', message: 'w', position: 'line 3' },
      { kind: 'end', complete: true, finishedAt: new Date('2026-01-01T00:10:00Z') },
    ];
    const csv = await text(scanEventsToUniformCsv(noHosts, { scanner: 'scan-in', onWarning: (w) => warnings.push(w) }));
    expect(warnings).toEqual([noHosts[1]]);
    const back = await collect(csv);
    expect(hostsOf(back)).toEqual([]);
    expect(metaOf(back)).toMatchObject({ scanner: 'scan-in', finishedAt: new Date('2026-01-01T00:10:00Z') });
    expect(endOf(back).complete).toBe(true);
    const cut = await text(scanEventsToUniformCsv([noHosts[0], { kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [], ports: [] }]));
    expect(endOf(await collect(cut)).complete).toBe(false);
    expect(endOf(await collect(await text(scanEventsToUniformCsv([noHosts[0]]))))).toMatchObject({ complete: false });
  });

  test('formatUniformCsv writes the DESIGN layout and reads back to the same events', async () => {
    const meta = {
      scanner: 'dmz-external', startedAt: new Date('2026-11-21T02:00:00Z'), hostScope: parseTargets(['10.1.0.0/16', 'fd00::/64']),
      portScope: { tcp: [{ lo: 1, hi: 65535 }], udp: [{ lo: 53, hi: 53 }, { lo: 161, hi: 161 }] }, resolvesNames: true,
    };
    const hosts: HostRecord[] = [
      { kind: 'host', ip: '10.1.123.123', status: 'up', hostnames: [{ name: 'www.example.com', type: 'PTR' }], ports: [{ proto: 'tcp', port: 80, state: 'open' }], seenAt: new Date('2026-11-21T02:13:07Z') },
      { kind: 'host', ip: '10.1.123.124', status: 'up', hostnames: [], ports: [] },
      {
        kind: 'host', ip: 'fd00::5', status: 'up', hostnames: [{ name: 'a,b "c"', type: 'PTR' }], mac: '02:00:00:00:00:05', timedOut: true,
        unknownPorts: { udp: [{ lo: 1, hi: 52 }, { lo: 54, hi: 65535 }] },
        ports: [{ proto: 'udp', port: 53, state: 'open', service: 'domain', product: 'dnsmasq', version: '2.90', banner: 'x,"y"\nz' }],
      },
      { kind: 'host', ip: '10.1.0.9', status: 'down', hostnames: [], ports: [] },
    ];
    const csv = await text(formatUniformCsv(meta, hosts, { complete: true, finishedAt: new Date('2026-11-21T02:41:13Z') }));
    expect(csv.split('\n').slice(0, 9)).toEqual([
      '#portdelta-csv v1',
      '#scanner=dmz-external',
      '#started=2026-11-21T02:00:00Z',
      '#finished=2026-11-21T02:41:13Z',
      '#complete=true',
      '#scope=10.1.0.0/16,fd00::/64',
      '#ports=tcp:1-65535;udp:53,161',
      '#dns=true',
      'ip,proto,port,state,hostname,seen_at,service,product,version,banner,mac,timed_out,unknown_ports',
    ]);
    expect(csv).toContain('\n10.1.123.123,tcp,80,open,www.example.com,2026-11-21T02:13:07Z\n10.1.123.124,,,up,,\n');
    const back = await collect(csv);
    expect(noPosition(hostsOf(back))).toEqual(hosts);
    expect(metaOf(back)).toEqual({ ...meta, finishedAt: new Date('2026-11-21T02:41:13Z') });
  });

  test('hostile values cannot forge rows or header lines, and read back exactly', async () => {
    const hosts: HostRecord[] = [
      { kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [{ name: 'evil\r\n#complete=false\n10.6.6.6,tcp,1,open', type: 'PTR' }], ports: [{ proto: 'tcp', port: 22, state: 'open', version: 'v1\n#x=1' }] },
    ];
    const csv = await text(formatUniformCsv({ args: 'nmap\n#complete=false' }, hosts, true));
    const ev = await collect(csv);
    expect(hostsOf(ev).map((h) => h.ip)).toEqual(['10.0.0.1']);
    expect(hostsOf(ev)[0].hostnames[0].name).toBe('evil\r\n#complete=false\n10.6.6.6,tcp,1,open');
    expect(hostsOf(ev)[0].ports[0].version).toBe('v1\n#x=1');
    expect(endOf(ev).complete).toBe(true);
    // The name's own '#complete=false' stands inside a quoted field, after the column line.
    const header = csv.slice(0, csv.indexOf('\nip,'));
    expect(header.split('\n').filter((l) => l.startsWith('#complete'))).toEqual(['#complete=true']);
  });

  test('csvField quotes only what needs it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(' lead')).toBe('" lead"');
  });
});
