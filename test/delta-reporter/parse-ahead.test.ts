// The parse in a worker thread (delta-reporter/parse-in-worker.ts) must hand the ingest exactly
// what the parse in process does: the same events for every real fixture, the same errors (class,
// code, file, position, remedy, message), and it must stay within its bounds and never outlive
// the parse. Runs the compiled worker in dist/ (npm test builds it first).
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openInput } from '../../input-agents/open-input';
import { detect } from '../../input-agents/registry';
import { fileEncoding } from '../../input-agents/text-encoding';
import { ScanRejectedError } from '../../common/errors';
import { parseAhead } from '../../delta-reporter/parse-ahead';
import { parsed, pieces } from '../helpers/parsed';
import type { ParseRequest } from '../../delta-reporter/parse-batches';
import { BATCHES_AHEAD, BATCHES_AHEAD_EARLY, WINDOW, WorkerParse, runningWorkers } from '../../delta-reporter/parse-in-worker';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.name === 'README.md' ? [] : [p];
  });
}

/** The whole (decompressed) file and its request, or null for a file no agent takes (groundtruth.json …). */
async function request(file: string): Promise<{ req: ParseRequest; bytes: Buffer } | null> {
  const { head, rest } = await openInput(file);
  const parts = [head];
  for await (const c of rest) parts.push(c as Buffer);
  try {
    return { req: { agent: detect(head, file).name, encoding: fileEncoding(head, file), ctx: { source: file } }, bytes: Buffer.concat(parts) };
  } catch {
    return null;
  }
}

function errorFields(err: unknown): unknown {
  if (err === undefined) return undefined;
  const e = err as ScanRejectedError & NodeJS.ErrnoException;
  return { cls: e.constructor.name, name: e.name, message: e.message, code: e.code, file: e.file, position: e.position, remedy: e.remedy, syscall: e.syscall };
}

const fixtures = [...filesUnder(path.join(FIXTURES, 'scans')), ...filesUnder(path.join(FIXTURES, 'made'))];

describe('a parse in a worker thread', () => {
  afterEach(() => expect(runningWorkers()).toBe(0));

  test('yields the same events as the parse in process, for every fixture of every format', async () => {
    let compared = 0;
    const formats = new Set<string>();
    for (const file of fixtures) {
      const r = await request(file);
      if (!r) continue;
      const here = await parsed(r.req, pieces(r.bytes), 'in-process');
      const there = await parsed(r.req, pieces(r.bytes), 'worker');
      expect({ file, events: there.events, error: errorFields(there.error) }).toEqual({ file, events: here.events, error: errorFields(here.error) });
      // In parts of one host each (the smallest the cut allows), and of about 4 KiB.
      for (const size of [1, 4096]) {
        const inParts = await parsed(r.req, pieces(r.bytes), 'parts', { tuning: { partBytes: size, threads: 2 } });
        expect({ file, size, events: inParts.events, error: errorFields(inParts.error) }).toEqual({ file, size, events: here.events, error: errorFields(here.error) });
      }
      expect(there.events.length).toBeGreaterThan(0);
      formats.add(r.req.agent);
      compared++;
    }
    expect(compared).toBeGreaterThan(120);
    expect([...formats].sort()).toEqual(['masscan-json', 'masscan-list', 'masscan-xml', 'naabu-json', 'nmap-grepable', 'nmap-xml', 'zmap-csv']);
  });

  test.each([
    ['a damaged XML file', '<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="1700000000">\n<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><<<<>>\n', 'nmap-xml'],
    ['bytes that are not UTF-8', `<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="1700000000">\n${'<!-- x -->\n'.repeat(2000)}<host comment="caf\xe9">`, 'nmap-xml'],
    ['a scan time out of range', '<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="99999999999">\n</nmaprun>\n', 'nmap-xml'],
  ])('rejects %s with the same error class and fields as in process', async (_what, text, agent) => {
    const bytes = Buffer.from(text, 'latin1');
    const req: ParseRequest = { agent, encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'bad.xml' } };
    const here = await parsed(req, pieces(bytes), 'in-process');
    const there = await parsed(req, pieces(bytes), 'worker');
    expect(here.error).toBeInstanceOf(ScanRejectedError);
    expect(there.error).toBeInstanceOf(ScanRejectedError);
    expect(errorFields(there.error)).toEqual(errorFields(here.error));
    expect(there.events).toEqual(here.events);
  });

  test('stops and raises the read error when reading the file fails, and leaves no thread behind', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read', errno: -5 });
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="1700000000">\n');
      for (let i = 0; i < 50; i++) yield Buffer.from(hostXml(i));
      throw eio;
    }
    const req: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'disk.xml' } };
    const src = new WorkerParse(req, failing());
    let caught: unknown;
    try {
      for await (const b of src) void b;
    } catch (err) {
      caught = err;
    } finally {
      await src.close();
    }
    expect(caught).toBe(eio);
  });

  test.each([
    ['once the scan is open (scan-open said before the first chunk)', true, BATCHES_AHEAD],
    ['while the scan is being opened (keep-down said, scan-open never)', false, BATCHES_AHEAD_EARLY],
  ])('keeps at most WINDOW bytes and a bounded number of batches outstanding on a 50 MB file taken slowly: %s', async (_what, opened, bound) => {
    const req: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'big.xml' } };
    const src = new WorkerParse(req, generatedScan(50 << 20));
    // posted now, before the pump's first chunk: the worker knows it before it parses anything
    src.keepDownHosts(true);
    if (opened) src.scanOpen();
    let hosts = 0;
    let taken = 0;
    try {
      for await (const b of src) {
        hosts += b.events.filter((e) => e.kind === 'host').length + b.dropped;
        // Now and then a long stall (a batch written to the database): the worker must wait, not pile up.
        if (++taken % 20 === 0) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await src.close();
    }
    expect(hosts).toBeGreaterThan(100000);
    expect(src.flow.batchesQueued).toBeGreaterThan(0);
    expect(src.flow.batchesQueued).toBeLessThanOrEqual(bound);
    expect(src.flow.bytesAhead).toBeLessThanOrEqual(Math.max(WINDOW, src.flow.largestChunk));
    expect(src.flow.largestChunk).toBeLessThan(WINDOW);
  });

  test('is primed once its window is full, before the ingest takes anything', async () => {
    const req: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'big.xml' } };
    const src = new WorkerParse(req, generatedScan(50 << 20));
    try {
      await src.primed();
      expect(src.flow.bytesAhead).toBeGreaterThan(WINDOW - src.flow.largestChunk);
      expect(src.flow.bytesAhead).toBeLessThanOrEqual(WINDOW);
    } finally {
      await src.close();
    }
  });

  test('leaves out the down hosts once told they are not needed, and counts them', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => hostXml(i, i % 3 === 0 ? 'up' : 'down')).join('');
    const bytes = Buffer.from(`<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="1700000000">\n${body}<runstats><finished time="1700000100"/></runstats></nmaprun>\n`);
    const req: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'v.xml' } };
    for (const place of ['in-process', 'worker'] as const) {
      const src = await parseAhead(req, { input: Readable.from(pieces(bytes)), readError: () => undefined, small: Promise.resolve(false) }, place);
      src.keepDownHosts(false);
      const seen = { up: 0, down: 0, dropped: 0 };
      try {
        for await (const b of src) {
          seen.dropped += b.dropped;
          for (const e of b.events) if (e.kind === 'host') seen[e.status]++;
        }
      } finally {
        await src.close();
      }
      expect({ place, ...seen }).toEqual({ place, up: 1000, down: 0, dropped: 2000 });
    }
  });
});

function hostXml(i: number, state: 'up' | 'down' = 'up'): string {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const ports = state === 'up' ? `<ports><port protocol="tcp" portid="${22 + (i % 3)}"><state state="open" reason="syn-ack"/><service name="ssh" method="table" conf="3"/></port></ports>` : '';
  return `<host starttime="1700000001" endtime="1700000002"><status state="${state}" reason="syn-ack"/>\n<address addr="${ip}" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n${ports}\n<times srtt="782" rttvar="988" to="100000"/>\n</host>\n`;
}

/** An nmap XML scan of about `size` bytes, made as it is read, in 1 MiB chunks like a file's. */
async function* generatedScan(size: number): AsyncGenerator<Buffer> {
  yield Buffer.from('<?xml version="1.0"?>\n<nmaprun scanner="nmap" args="nmap -v 10.0.0.0/8" start="1700000000" version="7.93">\n');
  let made = 0;
  for (let i = 0; made < size; ) {
    const parts: string[] = [];
    let n = 0;
    while (n < 1 << 20) {
      const h = hostXml(i++, i % 3 === 0 ? 'up' : 'down');
      parts.push(h);
      n += h.length;
    }
    made += n;
    yield Buffer.from(parts.join(''));
  }
  yield Buffer.from('<runstats><finished time="1700000100"/></runstats>\n</nmaprun>\n');
}
