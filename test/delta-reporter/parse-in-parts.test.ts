// A big nmap XML file read in parts by worker threads (delta-reporter/parse-in-parts.ts) must hand
// the ingest exactly what the parse in one go does: the same events in the same order with the
// same positions, the same errors with the same messages (record counts, lines, bytes), whether
// the threads could read every part or the main thread had to read on from one (a comment cut by
// a part's end, a damaged record, bytes that are not UTF-8). Runs the compiled worker in dist/.
import { Readable } from 'node:stream';
import type { ScanEvent } from '../../common/types';
import { ScanRejectedError } from '../../common/errors';
import { parseAhead } from '../../delta-reporter/parse-ahead';
import type { ParseRequest } from '../../delta-reporter/parse-batches';
import { PARTS_AHEAD, PARTS_AHEAD_EARLY, PARTS_AHEAD_OPENING, PARTS_AHEAD_UNDECIDED, PartsParse, type PartsTuning } from '../../delta-reporter/parse-in-parts';
import { coolPartThreads, warmPartThreads } from '../../delta-reporter/part-threads';
import { parsed, pieces, type Outcome } from '../helpers/parsed';
import { runningWorkers } from '../../delta-reporter/parse-in-worker';
import { nmapXml } from '../../input-agents/nmap-xml';
import { guardedParse } from '../../delta-reporter/parse-guard';

const REQ: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'p.xml' } };
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<!-- Nmap 7.93 scan -->\n<nmaprun scanner="nmap" args="nmap -v 10.0.0.0/16" start="1700000000" version="7.93">\n<scaninfo type="syn" protocol="tcp" numservices="3" services="22-24"/>\n<verbose level="1"/>\n';
const TAIL = '<runstats><finished time="1700000100"/></runstats>\n</nmaprun>\n';

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** A host as nmap -v writes it: up with a port or two and a name, or down in nmap's exact three lines. */
function host(i: number): string {
  if (i % 3 !== 0) return `<host><status state="down" reason="no-response" reason_ttl="0"/>\n<address addr="${ip(i)}" addrtype="ipv4"/>\n</host>\n`;
  const port = (p: number) => `<port protocol="tcp" portid="${p}"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/></port>\n`;
  return `<host starttime="1700000001" endtime="1700000002"><status state="up" reason="syn-ack" reason_ttl="64"/>\n<address addr="${ip(i)}" addrtype="ipv4"/>\n<hostnames>\n<hostname name="h${i}.example" type="PTR"/>\n</hostnames>\n<ports>${port(22)}${i % 2 ? port(23) : ''}</ports>\n<times srtt="782" rttvar="988" to="100000"/>\n</host>\n`;
}

function scan(hosts: number, edit: (i: number, text: string) => string = (_i, t) => t, tail = TAIL): string {
  return HEAD + Array.from({ length: hosts }, (_, i) => edit(i, host(i))).join('') + tail;
}

async function read(bytes: Buffer, tuning?: PartsTuning, keepDown?: boolean, input: Iterable<Buffer> | AsyncIterable<Buffer> = pieces(bytes)): Promise<Outcome> {
  return parsed(REQ, input, tuning ? 'parts' : 'in-process', { tuning, keepDown });
}

function errorFields(err: unknown): unknown {
  if (err === undefined) return undefined;
  const e = err as ScanRejectedError;
  return { cls: e.constructor.name, message: e.message, code: e.code, file: e.file, position: e.position, remedy: e.remedy };
}

/**
 * The events of the parse in one go one by one, up to its error, fed a byte at a time so that
 * every event before the error comes out (the ingest takes them in batches: a failing file's may
 * end earlier, and earlier in one go than in parts).
 */
async function oneByOne(bytes: Buffer): Promise<ScanEvent[]> {
  const events: ScanEvent[] = [];
  try {
    for await (const ev of guardedParse(nmapXml, Readable.from(pieces(bytes, 1)), REQ.ctx, () => undefined)) events.push(ev);
  } catch {
    // the error is compared from the batched reading
  }
  return events;
}

/** Read in parts of one host each by two threads, and of 4 KiB by one: each exactly as in one go. */
async function sameAsInOneGo(text: string, keepDown?: boolean): Promise<{ whole: Outcome; parts: Outcome[] }> {
  const bytes = Buffer.from(text, 'latin1');
  const whole = await read(bytes, undefined, keepDown);
  // Up to an error, a batch may have been handed over in parts and not yet in one go.
  const expected = whole.error === undefined ? whole.events : await oneByOne(bytes);
  const parts: Outcome[] = [];
  for (const tuning of [{ partBytes: 1, threads: 2 }, { partBytes: 4096, threads: 1 }]) {
    const p = await read(bytes, tuning, keepDown);
    const events = whole.error === undefined ? p.events : expected.slice(0, p.events.length);
    expect(p.events.length).toBeLessThanOrEqual(expected.length);
    expect({ tuning, events: p.events, dropped: p.dropped, error: errorFields(p.error) }).toEqual({ tuning, events, dropped: whole.dropped, error: errorFields(whole.error) });
    parts.push(p);
  }
  return { whole, parts };
}

describe('an nmap XML file read in parts', () => {
  afterEach(() => expect(runningWorkers()).toBe(0));

  test('gives the events of the parse in one go, the threads reading every part but the last', async () => {
    const { whole, parts } = await sameAsInOneGo(scan(300));
    expect(whole.events.filter((e) => e.kind === 'host')).toHaveLength(300);
    expect(whole.error).toBeUndefined();
    // one host a part after the header's: the threads read 300 parts, the last host is read on here with the trailer
    expect(parts[0].flow).toMatchObject({ partsTaken: 300, readOnFrom: 300 });
    expect(parts[1].flow!.partsTaken).toBeGreaterThan(5);
  });

  test('leaves out the down hosts once told, and counts them, as the parse in one go does', async () => {
    const { whole } = await sameAsInOneGo(scan(300), false);
    expect(whole.dropped).toBe(200);
  });

  test.each([
    // the comment follows host 98, whose part it ends: that part is read on
    ['a comment whose lines look like hosts', (i: number, t: string) => (i === 99 ? `<!-- kept for later:\n${host(1000)}${host(1003)}-->\n${t}` : t), 99],
    ['a CDATA section cut by a part\'s end', (i: number, t: string) => (i === 51 ? t.replace('<hostnames>', `<hostnames><![CDATA[\n${host(1003)}]]>`) : t), 52],
    ['a scan time no scan can have', (i: number, t: string) => (i === 150 ? t.replace('endtime="1700000002"', 'endtime="99999999999"') : t), 151],
    ['broken XML', (i: number, t: string) => (i === 210 ? t.replace('<hostnames>', '<hostnames><<') : t), 211],
    ['an entity nobody defined', (i: number, t: string) => (i === 33 ? t.replace('h33.example', 'h&bogus;.example') : t), 34],
  ])('with %s: the same events and error; the threads stop at that part and the rest is read on here', async (_what, edit, part) => {
    const { parts } = await sameAsInOneGo(scan(300, edit));
    // one host a part after the header's: host i is in part i + 1
    expect(parts[0].flow!.readOnFrom).toBe(part);
  });

  test('passes a damaged record on as a warning at its line, and the threads read on past it', async () => {
    const { whole, parts } = await sameAsInOneGo(scan(300, (i, t) => (i === 120 ? t.replace(ip(120), '10.0.0.999') : t)));
    expect(whole.events.filter((e) => e.kind === 'warning' && e.skippedRecord)).toHaveLength(1);
    expect(parts[0].flow).toMatchObject({ partsTaken: 300, readOnFrom: 300 });
  });

  test('names the record count and the last host of the whole file in its messages (cut short, malformed)', async () => {
    const cut = scan(300).slice(0, scan(300).indexOf(`<address addr="${ip(297)}"`));
    const { whole } = await sameAsInOneGo(cut);
    const end = whole.events.find((e) => e.kind === 'end');
    expect(end).toMatchObject({ complete: false });
    expect((end as { reason: string }).reason).toContain(`after the last complete host, ${ip(296)} (record 297)`);
    const broken = await sameAsInOneGo(scan(300, (i, t) => (i === 249 ? t.replace('</ports>', '</port>') : t)));
    expect(String(broken.whole.error)).toContain(`after the last complete host, ${ip(248)} (record 249)`);
  });

  test('rejects bytes that are not UTF-8 with their place in the file', async () => {
    const text = scan(300).replace('h198.example', 'caf\xe9');
    const { whole } = await sameAsInOneGo(text);
    expect(whole.error).toBeInstanceOf(ScanRejectedError);
    // one byte a character in this text: the string's index is the byte's
    expect((whole.error as ScanRejectedError).position).toBe(`byte ${text.indexOf('caf\xe9') + 4}`);
  });

  test('rejects a file whose every record is damaged, though each part held a readable-looking one', async () => {
    const { whole } = await sameAsInOneGo(scan(60, (_i, t) => t.replace(/addr="10\.[0-9.]+"/, 'addr="10.0.0.999"')));
    expect(String(whole.error)).toContain('no readable host record: all 60 host record(s) are damaged');
  });

  test('keeps <runstats> seen before the last part, and the lines of a file with CR LF line ends', async () => {
    const early = scan(200, (i, t) => (i === 100 ? `${TAIL.replace('</nmaprun>\n', '')}${t}` : t), '</nmaprun>\n');
    const { whole } = await sameAsInOneGo(early);
    expect(whole.events.at(-1)).toMatchObject({ kind: 'end', complete: true });
    const crlf = await sameAsInOneGo(scan(200).replace(/\n/g, '\r\n'));
    expect(crlf.whole.events.filter((e) => e.kind === 'host')).toHaveLength(200);
  });

  test('keeps a bounded number of parts outstanding while the ingest stalls: before it says whether down hosts are kept, before the store is open, before the scan is, and after', async () => {
    const bytes = Buffer.from(scan(30000));
    const phases = [
      { keepDown: undefined, store: false, scan: false, counter: 'mostAheadUndecided', bound: PARTS_AHEAD_UNDECIDED },
      { keepDown: true, store: false, scan: false, counter: 'mostAheadOpening', bound: PARTS_AHEAD_OPENING },
      { keepDown: true, store: true, scan: false, counter: 'mostAheadEarly', bound: PARTS_AHEAD_EARLY },
      { keepDown: true, store: true, scan: true, counter: 'mostAhead', bound: PARTS_AHEAD },
    ] as const;
    for (const { keepDown, store, scan: open, counter, bound } of phases) {
      const src = new PartsParse(REQ, { input: Readable.from(pieces(bytes, 65536)), readError: () => undefined, small: Promise.resolve(false) }, nmapXml.parts, { partBytes: 4096, threads: 2 });
      if (keepDown !== undefined) src.keepDownHosts(keepDown);
      if (store) src.storeOpen();
      if (open) src.scanOpen();
      let taken = 0;
      try {
        for await (const b of src) {
          taken += b.events.length;
          if (taken % 50 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await src.close();
      }
      expect(src.flow.partsTaken).toBeGreaterThan(100);
      expect(src.flow[counter]).toBeGreaterThan(0);
      expect(src.flow[counter]).toBeLessThanOrEqual(bound);
      for (const other of ['mostAheadUndecided', 'mostAheadOpening', 'mostAheadEarly', 'mostAhead'] as const) if (other !== counter) expect(src.flow[other]).toBe(0);
    }
  });

  test('before the store is open, has its opening allowance of parts sent when primed, and reads on as before', async () => {
    const bytes = Buffer.from(scan(30000));
    const src = new PartsParse(REQ, { input: Readable.from(pieces(bytes, 65536)), readError: () => undefined, small: Promise.resolve(false) }, nmapXml.parts, { partBytes: 4096, threads: 2 });
    const events: ScanEvent[] = [];
    try {
      src.keepDownHosts(true);
      await src.primed();
      expect(src.flow.mostAheadOpening).toBe(PARTS_AHEAD_OPENING);
      expect(src.flow.partsTaken).toBe(0);
      src.storeOpen();
      src.scanOpen();
      for await (const b of src) events.push(...b.events);
    } finally {
      await src.close();
    }
    expect(src.flow.mostAhead).toBeLessThanOrEqual(PARTS_AHEAD);
    expect(events).toEqual((await read(bytes)).events);
  });

  test('raises the read error when reading the file fails, and leaves no thread behind', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read', errno: -5 });
    async function* failing(): AsyncGenerator<Buffer> {
      yield* pieces(Buffer.from(scan(500).slice(0, 40000)));
      throw eio;
    }
    const out = await read(Buffer.alloc(0), { partBytes: 1024, threads: 2 }, undefined, failing());
    expect(out.error).toBe(eio);
  });

  test('closes at once while the input waits for bytes that have not come (a scan piped in, still running)', async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    async function* pipe(): AsyncGenerator<Buffer> {
      yield Buffer.from(scan(5, (_i, t) => t, ''));
      await stalled;
    }
    const src = new PartsParse(REQ, { input: Readable.from(pipe()), readError: () => undefined, small: Promise.resolve(false) }, nmapXml.parts, { partBytes: 1, threads: 1 });
    for await (const b of src) if (b.events.length > 0) break;
    // The splitter now waits for the pipe; closing must not (it would wait here for good).
    await src.close();
    expect(runningWorkers()).toBe(0);
    release();
  });

  test('takes the threads started before its file was known, and the ones no file took are ended', async () => {
    warmPartThreads();
    const warm = runningWorkers();
    expect(warm).toBeGreaterThan(0);
    warmPartThreads();
    expect(runningWorkers()).toBe(warm); // started once, not per call
    const bytes = Buffer.from(scan(2000));
    const src = new PartsParse(REQ, { input: Readable.from(pieces(bytes)), readError: () => undefined, small: Promise.resolve(false) }, nmapXml.parts, { partBytes: 4096, threads: warm });
    expect(runningWorkers()).toBe(warm); // the warm threads, no new ones
    const events: ScanEvent[] = [];
    try {
      for await (const b of src) events.push(...b.events);
    } finally {
      await src.close();
    }
    expect(src.flow.partsTaken).toBeGreaterThan(20);
    expect(events).toEqual((await read(bytes)).events);
    expect(runningWorkers()).toBe(0);
    warmPartThreads();
    await coolPartThreads();
    expect(runningWorkers()).toBe(0);
  });

  test('ends its threads when closed before the end', async () => {
    const src = await parseAhead(REQ, { input: Readable.from(pieces(Buffer.from(scan(5000)))), readError: () => undefined, small: Promise.resolve(false) }, 'parts', { partBytes: 2048, threads: 2 });
    for await (const b of src) if (b.events.length > 0) break;
    await src.close();
    expect(runningWorkers()).toBe(0);
  });
});
