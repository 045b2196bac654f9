import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { ScanRejectedError } from '../../common/errors';
import { countPorts, parsePortSpec } from '../../common/ports';
import type { HostRecord, PortScope, ScanEndEvent, ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../../common/types';
import { nmapXml } from '../../input-agents/nmap-xml';
import { ROOT } from '../helpers/cli';

const execFileP = promisify(execFile);

const SCANS = join(__dirname, '../fixtures/scans');

/** Files under dir, as paths relative to SCANS. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [relative(SCANS, p)];
  });
}

async function collect(input: Readable, source = 'test.xml'): Promise<ScanEvent[]> {
  const out: ScanEvent[] = [];
  for await (const e of nmapXml.parse(input, { source })) out.push(e);
  return out;
}
/** The text as a stream of `chunk`-byte pieces (0: one piece), to cross every boundary the parser has. */
const fromText = (text: string | Buffer, chunk = 0): Readable => {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  if (chunk <= 0) return Readable.from([buf]);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
};
const parseText = (text: string | Buffer, chunk = 0): Promise<ScanEvent[]> => collect(fromText(text, chunk));
const parseFixture = (rel: string, chunk = 4096): Promise<ScanEvent[]> =>
  collect(createReadStream(join(SCANS, rel), { highWaterMark: chunk }), rel);
const hostsOf = (ev: ScanEvent[]): HostRecord[] => ev.filter((e): e is HostRecord => e.kind === 'host');
const warningsOf = (ev: ScanEvent[]): ScanWarningEvent[] => ev.filter((e): e is ScanWarningEvent => e.kind === 'warning');
const metaOf = (ev: ScanEvent[]): Omit<ScanMetaEvent, 'kind'> =>
  Object.assign({}, ...ev.filter((e) => e.kind === 'meta').map(({ kind: _k, ...m }) => m));
/** The end event, checked to be the only one and the last. */
function endOf(ev: ScanEvent[]): ScanEndEvent {
  expect(ev.filter((e) => e.kind === 'end')).toHaveLength(1);
  expect(ev[ev.length - 1].kind).toBe('end');
  return ev[ev.length - 1] as ScanEndEvent;
}
async function rejection(p: Promise<unknown>): Promise<ScanRejectedError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ScanRejectedError);
  return err as ScanRejectedError;
}

// ---- synthetic documents ---------------------------------------------------------------------

const HEAD = (args = 'nmap -sS -p 1-1024 10.0.0.0/24', scaninfo = '<scaninfo type="syn" protocol="tcp" numservices="1024" services="1-1024"/>') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" args="${args}" start="1740967200" version="7.93" xmloutputversion="1.05">\n${scaninfo}\n<verbose level="0"/>\n`;
const TAIL = '<runstats><finished time="1740967209" elapsed="9.05" exit="success"/><hosts up="1" down="0" total="1"/>\n</runstats>\n</nmaprun>\n';
const port = (p: string | number, state = 'open', proto = 'tcp', service = '<service name="ssh" method="table" conf="3"/>') =>
  `<port protocol="${proto}" portid="${p}"><state state="${state}" reason="syn-ack" reason_ttl="64"/>${service}</port>\n`;
const host = (addr: string, ports = port(22), extra = '', attrs = 'starttime="1740967200" endtime="1740967206"') =>
  `<host ${attrs}><status state="up" reason="arp-response" reason_ttl="0"/>\n<address addr="${addr}" addrtype="${addr.includes(':') ? 'ipv6' : 'ipv4'}"/>\n` +
  `<hostnames>\n<hostname name="h.example" type="PTR"/>\n</hostnames>\n<ports>${extra}${ports}</ports>\n</host>\n`;
const doc = (...hosts: string[]) => HEAD() + hosts.join('') + TAIL;
/** A real complete scan (10 hosts after 9 hosthints), to cut and to corrupt. */
const full = readFileSync(join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml'), 'utf8');

// ---- fixtures and their ground truth ---------------------------------------------------------

interface TruthScan {
  scenario: string;
  tool: string;
  args: string;
  fake_start: string;
  files: string[];
  complete: boolean;
  down_hosts_listed?: number;
  hosts: Record<string, { hostname: string | null; open: string[] }>;
  non_open_states?: Record<string, Record<string, string>>;
  banners?: Array<[string, number, string, string, string]>;
}
const truth: TruthScan[] = ['lab-a', 'lab6-a', 'loop-a'].flatMap((scenario) => {
  const gt = JSON.parse(readFileSync(join(SCANS, scenario, 'groundtruth.json'), 'utf8')) as { nights: Array<{ scans: TruthScan[] }> };
  return gt.nights.flatMap((n) => n.scans).map((s) => ({ ...s, scenario }));
});
const xmlOf = (s: TruthScan): string | undefined => s.files.find((f) => f.endsWith('.xml')) && `${s.scenario}/${s.files.find((f) => f.endsWith('.xml'))}`;
const nmapScans = truth.filter((s) => s.tool === 'nmap').map((s) => [xmlOf(s)!, s] as const);
const masscanScans = truth.filter((s) => s.tool === 'masscan' && xmlOf(s)).map((s) => [xmlOf(s)!, s] as const);

/** What the file says in the ground truth's terms: up hosts, their PTR name and open ports, non-open listed states. */
function summarize(hosts: HostRecord[]) {
  const up: TruthScan['hosts'] = {};
  const nonOpen: Record<string, Record<string, string>> = {};
  for (const h of hosts.filter((x) => x.status === 'up')) {
    const entry = (up[h.ip] ??= { hostname: null, open: [] });
    entry.hostname ??= h.hostnames.find((n) => n.type === 'PTR')?.name ?? null;
    for (const p of h.ports) {
      const key = `${p.port}/${p.proto}`;
      if (p.state === 'open') {
        if (!entry.open.includes(key)) entry.open.push(key);
      } else if (p.state !== 'closed') (nonOpen[h.ip] ??= {})[key] = p.state;
    }
  }
  for (const e of Object.values(up)) e.open.sort();
  return { up, nonOpen };
}
const sortedTruth = (hosts: TruthScan['hosts']) =>
  Object.fromEntries(Object.entries(hosts).map(([ip, h]) => [ip, { hostname: h.hostname, open: [...h.open].sort() }]));

/** The port scope nmap's command line asks for, as the ground truth records it. */
function scopeFromArgs(args: string): PortScope | 'top1000' {
  const proto = / -sU\b/.test(` ${args}`) ? 'udp' : 'tcp';
  if (/(^| )-p- /.test(`${args} `)) return { [proto]: [{ lo: 1, hi: 65535 }] };
  const p = / -p ([^ ]+)/.exec(` ${args}`);
  if (p) return parsePortSpec(p[1], [proto]);
  return 'top1000';
}

describe('nmap-xml on the real fixtures', () => {
  test('the ground truth covers every nmap and masscan XML fixture', () => {
    const onDisk = (pattern: RegExp) => walk(SCANS).filter((f) => pattern.test(f)).sort();
    expect(nmapScans.map(([f]) => f).sort()).toEqual(onDisk(/\/nmap-[^/]*\.xml$/));
    expect(masscanScans.map(([f]) => f).sort()).toEqual(onDisk(/\/masscan\.xml$/));
    expect(nmapScans.length).toBeGreaterThanOrEqual(30);
  });

  test.each(nmapScans)('%s: up hosts, PTR names, open and non-open ports equal the ground truth', async (file, scan) => {
    const { up, nonOpen } = summarize(hostsOf(await parseFixture(file)));
    expect(up).toEqual(sortedTruth(scan.hosts));
    expect(nonOpen).toEqual(scan.non_open_states ?? {});
  });

  test.each(nmapScans)('%s: completeness, down hosts, start time and port scope match the file', async (file, scan) => {
    const ev = await parseFixture(file);
    expect(ev[0]).toMatchObject({ kind: 'meta', tool: 'nmap', toolVersion: '7.93', resolvesNames: true });
    expect(endOf(ev).complete).toBe(scan.complete);
    expect(hostsOf(ev).filter((h) => h.status === 'down')).toHaveLength(scan.down_hosts_listed ?? 0);
    const meta = metaOf(ev);
    expect(meta.startedAt?.toISOString()).toBe(`${scan.fake_start.replace(' ', 'T')}.000Z`);
    expect(meta.args).toContain(scan.args);
    const want = scopeFromArgs(scan.args);
    if (want === 'top1000') {
      expect(Object.keys(meta.portScope!)).toEqual(['tcp']);
      expect(countPorts(meta.portScope!.tcp)).toBe(1000);
    } else expect(meta.portScope).toEqual(want);
    if (scan.complete) expect(meta.finishedAt).toBeInstanceOf(Date);
  });

  test.each(masscanScans)('%s: masscan, one record per port, hosts and open ports equal the ground truth', async (file, scan) => {
    const ev = await parseFixture(file);
    expect(ev[0]).toMatchObject({ kind: 'meta', tool: 'masscan', resolvesNames: false });
    expect(metaOf(ev).portScope).toBeUndefined();
    expect(endOf(ev).complete).toBe(true);
    const hosts = hostsOf(ev);
    expect(hosts.every((h) => h.ports.length === 1 && h.status === 'up' && h.hostnames.length === 0)).toBe(true);
    expect(summarize(hosts).up).toEqual(sortedTruth(scan.hosts));
    const banners = hosts.filter((h) => h.ports[0].banner !== undefined);
    expect(hosts.length - banners.length).toBe(Object.values(scan.hosts).reduce((n, h) => n + h.open.length, 0));
    const key = (ip: string, p: number, proto: string, name?: string) => `${ip} ${p}/${proto} ${name}`;
    expect(banners.map((h) => key(h.ip, h.ports[0].port, h.ports[0].proto, h.ports[0].service)).sort())
      .toEqual((scan.banners ?? []).map(([ip, p, proto, name]) => key(ip, p, proto, name)).sort());
  });

  test('the interrupted scan gives its 4 complete up hosts, complete:false and a truncation warning, without throwing', async () => {
    const ev = await parseFixture('lab-a/night4/scan-out/nmap-tcp.xml');
    const up = hostsOf(ev).filter((h) => h.status === 'up');
    expect(up.map((h) => h.ip)).toEqual(['10.66.1.1', '10.66.1.5', '10.66.1.10', '10.66.1.11']);
    expect(endOf(ev)).toMatchObject({ complete: false });
    const [warning] = warningsOf(ev);
    expect(warning.message).toMatch(/truncated after the last complete host, 10\.66\.1\.11/);
    expect(metaOf(ev).finishedAt).toBeUndefined();
  });

  test('the -v scans list down hosts with status down and no ports', async () => {
    const hosts = hostsOf(await parseFixture('lab-a/night4/scan-in/nmap-tcp.xml'));
    const down = hosts.filter((h) => h.status === 'down');
    expect(down).toHaveLength(246);
    expect(down.every((h) => h.ports.length === 0 && h.seenAt === undefined)).toBe(true);
    expect(down.map((h) => h.ip)).toContain('10.66.1.14'); // files01 is off that night
  });

  test('host records carry MAC, seenAt from endtime, a line:column position, services; hosthints are skipped', async () => {
    const hosts = hostsOf(await parseFixture('lab-a/night1/scan-in/nmap-tcp.xml'));
    expect(hosts).toHaveLength(10); // 9 <hosthint> elements precede them
    const web01 = hosts.find((h) => h.ip === '10.66.1.10')!;
    expect(web01).toMatchObject({ mac: 'DA:A7:21:52:DD:EB', status: 'up', hostnames: [{ name: 'web01.lab-a.test', type: 'PTR' }] });
    expect(web01.seenAt).toEqual(new Date(1740967206 * 1000));
    expect(web01.position).toMatch(/^\d+:\d+$/);
    expect(web01.ports).toContainEqual({ proto: 'tcp', port: 80, state: 'open', service: 'http' });
    expect(web01.timedOut).toBeUndefined();
    expect(web01.unknownPorts).toBeUndefined(); // its extraports are closed: nothing unknown
  });

  test('-sV gives product and version; IPv6 addresses come out canonical', async () => {
    const v4 = hostsOf(await parseFixture('lab-a/night3/scan-in/nmap-tcp.xml'));
    expect(v4.find((h) => h.ip === '10.66.1.10')!.ports.find((p) => p.port === 22)).toMatchObject({ service: 'ssh', product: 'OpenSSH' });
    const v6 = hostsOf(await parseFixture('lab6-a/night1/scan6/nmap-tcp.xml'));
    expect(v6.map((h) => h.ip)).toContain('fdaa:66:3::53');
    const lo = hostsOf(await parseFixture('loop-a/night1/localscan/nmap-v6.xml'));
    expect(lo.map((h) => h.ip)).toEqual(['::1']);
  });

  test('parsing byte by byte gives the same events as in one piece', async () => {
    const text = readFileSync(join(SCANS, 'lab-a/night3/scan-in/nmap-tcp.xml'));
    expect(await parseText(text, 1)).toEqual(await parseText(text));
  });

  test('masscan banner records keep the banner text', async () => {
    const hosts = hostsOf(await parseFixture('lab-a/night6/scan-in/masscan.xml'));
    expect(hosts.find((h) => h.ip === '10.66.1.53' && h.ports[0].proto === 'udp')!.ports[0])
      .toEqual({ proto: 'udp', port: 53, state: 'open', service: 'dns-ver', banner: 'dnsmasq-2.90' });
  });
});

describe('nmap-xml on synthetic documents', () => {
  test('the meta event comes first, decodes char refs in args, and carries the merged scaninfo scope', async () => {
    const scaninfo = '<scaninfo type="syn" protocol="tcp" numservices="3" services="1,3-4"/>\n' +
      '<scaninfo type="syn" protocol="tcp" numservices="2" services="5,80"/>\n<scaninfo type="udp" protocol="udp" numservices="1" services="53"/>';
    const ev = await parseText(HEAD('nmap -&#45;min-rate 3000 a&amp;b -&#x2d;open', scaninfo) + host('10.0.0.1') + TAIL);
    expect(ev[0]).toEqual({
      kind: 'meta', tool: 'nmap', toolVersion: '7.93', args: 'nmap --min-rate 3000 a&b --open', startedAt: new Date(1740967200000),
      resolvesNames: true, portScope: { tcp: [{ lo: 1, hi: 1 }, { lo: 3, hi: 5 }, { lo: 80, hi: 80 }], udp: [{ lo: 53, hi: 53 }] },
    });
    expect(ev.map((e) => e.kind)).toEqual(['meta', 'host', 'meta', 'end']);
    expect(ev[2]).toEqual({ kind: 'meta', finishedAt: new Date(1740967209000) });
  });

  test.each([
    ['nmap -n -sS 10.0.0.0/24', false],
    ['nmap -sS 10.0.0.0/24 -n', false],
    ['nmap -sS -oX -nmap.xml 10.0.0.0/24', true],
    ['nmap -sS --dns-servers 10.0.0.53 10.0.0.0/24', true],
  ])('args %j: resolvesNames is %s', async (args, expected) => {
    expect(metaOf(await parseText(HEAD(args) + TAIL)).resolvesNames).toBe(expected);
  });

  test('a scaninfo with no services means a known, empty scope; no scaninfo means an unknown one', async () => {
    const empty = await parseText(HEAD('nmap -sn 10.0.0.0/24', '<scaninfo type="syn" protocol="tcp" numservices="0" services=""/>') + TAIL);
    expect(metaOf(empty).portScope).toEqual({});
    expect(metaOf(await parseText(HEAD('nmap -sn 10.0.0.0/24', '') + TAIL)).portScope).toBeUndefined();
  });

  test('the same IP in two <host> elements gives two records', async () => {
    const hosts = hostsOf(await parseText(doc(host('10.0.0.1', port(22)), host('10.0.0.1', port(80)))));
    expect(hosts.map((h) => [h.ip, h.ports.map((p) => p.port)])).toEqual([['10.0.0.1', [22]], ['10.0.0.1', [80]]]);
  });

  test('a timed-out host is marked timedOut and keeps what it saw', async () => {
    const [h] = hostsOf(await parseText(doc(host('10.0.0.2', port(443), '', 'starttime="1741000100" endtime="1741000200" timedout="true"'))));
    expect(h).toMatchObject({ ip: '10.0.0.2', timedOut: true, seenAt: new Date(1741000200000), ports: [{ port: 443, state: 'open' }] });
  });

  test('a port without <service> has no service fields', async () => {
    const [h] = hostsOf(await parseText(doc(host('10.0.0.3', port(8080, 'open', 'tcp', '')))));
    expect(h.ports).toHaveLength(1);
    expect(h.ports[0]).toStrictEqual({ proto: 'tcp', port: 8080, state: 'open' });
  });

  test('UDP extraports open|filtered become unknownPorts; closed extraports do not', async () => {
    const extra = '<extraports state="open|filtered" count="65533">\n' +
      '<extrareasons reason="no-response" count="65000" proto="udp" ports="1-52,54-160"/>\n' +
      '<extrareasons reason="other" count="533" proto="udp" ports="162-65535,161"/>\n</extraports>\n' +
      '<extraports state="closed" count="3"><extrareasons reason="reset" count="3" proto="tcp" ports="1-3"/></extraports>\n';
    const [h] = hostsOf(await parseText(doc(host('10.0.0.4', port(53, 'open', 'udp'), extra))));
    expect(h.unknownPorts).toEqual({ udp: [{ lo: 1, hi: 52 }, { lo: 54, hi: 65535 }] });
    expect(h.ports.map((p) => `${p.port}/${p.proto} ${p.state}`)).toEqual(['53/udp open']);
  });

  test('IPv6 and IPv4-mapped addresses come out canonical', async () => {
    const hosts = hostsOf(await parseText(doc(host('FDAA:0066:0003:0000:0000:0000:0000:0010'), host('::ffff:10.0.0.9'))));
    expect(hosts.map((h) => h.ip)).toEqual(['fdaa:66:3::10', '10.0.0.9']);
  });

  test('a document with only <hosthint> elements has no host records', async () => {
    const hint = '<hosthint><status state="up" reason="arp-response" reason_ttl="0"/>\n<address addr="10.0.0.9" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n</hosthint>\n';
    const ev = await parseText(doc(hint));
    expect(hostsOf(ev)).toEqual([]);
    expect(endOf(ev).complete).toBe(true);
  });

  test('a multi-byte UTF-8 name split across chunks is decoded whole', async () => {
    const [h] = hostsOf(await parseText(doc(host('10.0.0.5').replace('h.example', 'čaj-ü-€.example')), 1));
    expect(h.hostnames[0].name).toBe('čaj-ü-€.example');
  });

  test('a closed document without <runstats><finished> is incomplete, with a warning', async () => {
    const text = HEAD() + host('10.0.0.1') + '</nmaprun>\n';
    const ev = await parseText(text);
    expect(endOf(ev).complete).toBe(false);
    expect(warningsOf(ev)[0].message).toMatch(/finished/);
    // The position names the end of the document: its last tag or the line after it.
    expect(Number(warningsOf(ev)[0].position!.split(':')[0])).toBeGreaterThanOrEqual(text.trimEnd().split('\n').length);
    expect(hostsOf(ev)).toHaveLength(1);
  });

  test.each([0.3, 0.5, 0.77, 0.9, 0.999])('cut at %f of the file: complete hosts before the cut, complete:false, a warning', async (at) => {
    const cut = full.slice(0, Math.floor(full.length * at));
    const ev = await parseText(cut, 100);
    const before = cut.split('</host>').length - 1;
    expect(hostsOf(ev)).toEqual(hostsOf(await parseText(full)).slice(0, before));
    expect(endOf(ev).complete).toBe(false);
    expect(warningsOf(ev)).toHaveLength(1);
    expect(warningsOf(ev)[0].message).toMatch(/truncated/);
  });

  test('events come out while the file is still being read', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* source() {
      yield Buffer.from(HEAD() + host('10.0.0.1'));
      await gate;
      yield Buffer.from(TAIL);
    }
    const it = nmapXml.parse(Readable.from(source()), { source: 't' })[Symbol.asyncIterator]();
    const stalled = (ms: number) => new Promise((r) => setTimeout(() => r('stalled'), ms));
    expect(await Promise.race([it.next(), stalled(20_000)])).toMatchObject({ value: { kind: 'meta' } });
    expect(await Promise.race([it.next(), stalled(20_000)])).toMatchObject({ value: { kind: 'host', ip: '10.0.0.1' } });
    release();
    const rest: ScanEvent[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest[rest.length - 1]).toMatchObject({ kind: 'end', complete: true });
  });
});

describe('nmap-xml rejects hostile and broken input', () => {
  const laughs = '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [\n <!ENTITY lol "lol">\n' +
    Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">\n`).join('') +
    ']>\n<nmaprun scanner="nmap" args="&lol9;" start="1">\n<host><address addr="10.0.0.1" addrtype="ipv4"/></host>\n</nmaprun>\n';

  test.each([
    ['an internal DTD subset (billion laughs)', laughs, /internal DTD subset/],
    ['an external SYSTEM DTD', '<?xml version="1.0"?>\n<!DOCTYPE nmaprun SYSTEM "http://203.0.113.9/x.dtd">\n<nmaprun/>', /SYSTEM\/PUBLIC/],
    ['an external PUBLIC DTD', '<!DOCTYPE nmaprun PUBLIC "-//x//EN" "file:///etc/passwd">\n<nmaprun/>', /SYSTEM\/PUBLIC/],
    ['a parameter entity', '<!DOCTYPE nmaprun [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]>\n<nmaprun/>', /internal DTD subset/],
    ['an undefined entity in an attribute', HEAD('nmap &xxe; -sS') + TAIL, /undefined entity/],
    ['an undefined entity in text', doc(host('10.0.0.1').replace('<ports>', '<ports>&xxe;')), /undefined entity/],
  ])('%s is hostile input', async (_what, text, message) => {
    const err = await rejection(parseText(text, 7));
    expect(err.code).toBe('HOSTILE_INPUT');
    expect(err.message).toMatch(message);
    expect(err.remedy).toMatch(/remove the DOCTYPE\/entity declarations/);
    expect(err.file).toBe('test.xml');
  });

  test('binary garbage is rejected with a line:column position and a remedy', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) & 255));
    const err = await rejection(parseText(garbage));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.position).toMatch(/^\d+:\d+$/);
    expect(err.message).toMatch(/before any host/);
    expect(err.remedy).toBeTruthy();
  });

  test.each([
    ['an empty file', '', /empty/],
    ['only whitespace', '  \n\n', /no <nmaprun>/],
    ['another XML document', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n', /root element is <svg>/],
    ['a file cut inside the prolog', '<?xml version="1.0"?>\n<!DOCTYPE nmap', /no <nmaprun>/],
  ])('%s is rejected', async (_what, text, message) => {
    expect((await rejection(parseText(text))).message).toMatch(message);
  });

  test('an invalid address skips that <host> with a warning at the address, and the scan is incomplete', async () => {
    const text = doc(host('10.0.0.1', port(22)), host('999.1.1.1', port(80)), host('10.0.0.3'));
    const ev = await parseText(text);
    const skipped = ev.filter((e) => e.kind === 'warning' && e.skippedRecord);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ message: expect.stringContaining("'999.1.1.1'") });
    const line = text.split('\n').findIndex((l) => l.includes('999.1.1.1')) + 1;
    expect((skipped[0] as { position: string }).position).toMatch(new RegExp(`^${line}:\\d+$`));
    expect(ev.filter((e) => e.kind === 'host').map((h) => (h as { ip: string }).ip)).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(ev[ev.length - 1]).toMatchObject({ kind: 'end', complete: false, reason: expect.stringContaining('1 damaged record') });
  });

  test('a file of only hosts with invalid addresses is rejected at the first', async () => {
    const text = doc(host('999.1.1.1'), host('999.1.1.2'));
    const err = await rejection(parseText(text));
    expect(err.message).toMatch(/no readable host record/);
    const line = text.split('\n').findIndex((l) => l.includes('999.1.1.1')) + 1;
    expect(err.position).toMatch(new RegExp(`^${line}:\\d+$`));
  });

  test.each(['70000', 'abc', '', '-1', '1e3', '22.5'])('port id %j damages its <host>, naming the value', async (id) => {
    const ev = await parseText(doc(host('10.0.0.1', port(22) + port(id)), host('10.0.0.2', port(22))));
    const skipped = ev.filter((e) => e.kind === 'warning' && e.skippedRecord);
    expect(skipped).toEqual([expect.objectContaining({ message: expect.stringContaining(`'${id}'`), position: expect.stringMatching(/^\d+:\d+$/) })]);
    expect(ev.filter((e) => e.kind === 'host').map((h) => (h as { ip: string }).ip)).toEqual(['10.0.0.2']);
  });

  test.each([
    ['a bad port state', port(22, 'wide-open'), /state 'wide-open'/],
    ['a port without <state>', '<port protocol="tcp" portid="22"></port>', /no <state>/],
    ['an unknown protocol', port(22, 'open', 'gre'), /protocol 'gre'/],
    ['no IP address', '', /without an IPv4 or IPv6 address/],
  ])('%s damages its <host>; alone in the file, the file is rejected', async (_what, ports, message) => {
    const bad = host('10.0.0.1', ports);
    const damaged = ports === '' ? bad.replace('addrtype="ipv4"', 'addrtype="mac"') : bad;
    const ev = await parseText(doc(damaged, host('10.0.0.2')));
    expect(ev.filter((e) => e.kind === 'warning' && e.skippedRecord).map((e) => (e as { message: string }).message)).toEqual([expect.stringMatching(message)]);
    expect(ev[ev.length - 1]).toMatchObject({ kind: 'end', complete: false });
    expect((await rejection(parseText(doc(damaged)))).message).toMatch(/no readable host record/);
  });

  test('an IPv6 zone id is dropped from the address with a warning', async () => {
    const ev = await parseText(doc(host('fe80::1%eth0').replace('addrtype="ipv4"', 'addrtype="ipv6"')));
    expect(ev.filter((e) => e.kind === 'host').map((h) => (h as { ip: string }).ip)).toEqual(['fe80::1']);
    expect(ev).toContainEqual(expect.objectContaining({ kind: 'warning', message: expect.stringMatching(/zone id '%eth0' of fe80::1 is dropped/) }));
  });

  test.each([
    ['binary garbage', '\u0000\u0001\u0002 <<garbage>>'],
    ['a stray closing tag', '</ports>'],
    ['a broken tag', '<host <status'],
  ])('%s after some hosts fails the whole file (broken is not truncated)', async (_what, junk) => {
    const at = full.split('</host>\n', 3).join('</host>\n').length + '</host>\n'.length;
    const err = await rejection(parseText(full.slice(0, at) + junk + full.slice(at), 512));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/malformed XML after the last complete host, 10\.66\.1\.11/);
    expect(err.position).toMatch(/^\d+:\d+$/);
  });
});

describe('nmap-xml sniff', () => {
  const head = (rel: string) => readFileSync(join(SCANS, rel)).subarray(0, 4096);

  test.each([...nmapScans.map(([f]) => f), ...masscanScans.map(([f]) => f)])('%s is recognised', (file) => {
    expect(nmapXml.sniff(head(file))).toBe(true);
  });

  test.each([
    ['a BOM, whitespace and a comment first', '\ufeff \n<!-- hi -->\n<nmaprun scanner="nmap">'],
    ['a head cut inside a long command line', '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<?xml-stylesheet href="x"?>\n<!-- Nmap 7.93 as: nmap 10.0.0.1 10.0.0.2'],
    ['a head cut inside the nmaprun tag', '<?xml version="1.0"?>\n<!-- masscan v1.0 scan -->\n<nmaprun scanner="mass'],
  ])('%s is recognised', (_what, text) => {
    expect(nmapXml.sniff(Buffer.from(text))).toBe(true);
  });

  test.each([
    ['-oG output', head('lab-a/night1/scan-in/nmap-tcp.gnmap')],
    ['-oN output', head('lab-a/night1/scan-in/nmap-tcp.nmap')],
    ['masscan JSON', head('lab-a/night2/scan-in/masscan.json')],
    ['masscan -oL', head('lab-a/night2/scan-in/masscan.list')],
    ['the uniform CSV', Buffer.from('#portdelta-csv v1\nip,proto,port,state,hostname,seen_at\n')],
    ['other XML', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><!-- <nmap --></svg>')],
    ['text that mentions <nmaprun later', Buffer.from('notes: the root is <nmaprun>\n')],
    ['an empty head', Buffer.alloc(0)],
  ])('%s is not recognised', (_what, buf) => {
    expect(nmapXml.sniff(buf)).toBe(false);
  });
});

describe('nmap-xml memory', () => {
  /** ~`mb` MB of nmap XML, made lazily a chunk at a time so the test itself holds nothing. */
  function* bigScan(mb: number): Generator<Buffer> {
    yield Buffer.from(HEAD('nmap -sS -p- 10.0.0.0/8', '<scaninfo type="syn" protocol="tcp" numservices="65535" services="1-65535"/>'));
    let batch = '';
    let bytes = 0;
    for (let i = 0; bytes < mb * 1e6; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      // Non-Latin-1 text makes every string two-byte: a parser that kept the input would hold 2 bytes per byte read.
      const svc = `<service name="http" product="nginx ✓ build ${i}" version="1.${i % 30}" method="probed" conf="10"/>`;
      const extra = '<extraports state="closed" count="65532">\n<extrareasons reason="reset" count="65532" proto="tcp" ports="1-21,23-79,81-442,444-65535"/>\n</extraports>\n';
      const h = host(ip, port(22) + port(80, 'open', 'tcp', svc) + port(443, 'filtered'), extra).replace('h.example', `host-${i}.example.test`);
      batch += h;
      bytes += h.length;
      if (batch.length >= 1 << 16) {
        yield Buffer.from(batch);
        batch = '';
      }
    }
    yield Buffer.from(batch + TAIL);
  }

  // Each size is parsed in a process of its own, so what other suites of this jest worker left
  // behind cannot move the figures: the peak may not grow with the file.
  test('peak memory does not grow with the file: 6 MB and 60 MB streamed in fresh processes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-rss-'));
    try {
      const peak = async (mb: number): Promise<{ hosts: number; complete: boolean; maxRssMb: number }> => {
        const file = join(dir, `big-${mb}.xml`);
        await pipeline(Readable.from(bigScan(mb)), createWriteStream(file));
        const script = `
          const { nmapXml } = require(${JSON.stringify(join(ROOT, 'dist/input-agents/nmap-xml.js'))});
          (async () => {
            let hosts = 0, complete = false;
            for await (const e of nmapXml.parse(require('fs').createReadStream(process.argv[1]), { source: 'big.xml' })) {
              if (e.kind === 'host') hosts++;
              else if (e.kind === 'end') complete = e.complete;
            }
            console.log(JSON.stringify({ hosts, complete, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
          })();`;
        // The young-generation cap the CLI sets (bin/portdelta.ts), so the figures are the shipped ones.
        const { stdout } = await execFileP(process.execPath, ['--max-semi-space-size=4', '-e', script, file]);
        return JSON.parse(stdout);
      };
      const small = await peak(6);
      const big = await peak(60);
      expect(big.hosts).toBeGreaterThan(40000);
      expect(big.hosts).toBeGreaterThan(9 * small.hosts);
      expect(big.complete).toBe(true);
      // A parser that kept what it read would hold 54 MB more (twice that as two-byte strings).
      expect(big.maxRssMb - small.maxRssMb).toBeLessThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
