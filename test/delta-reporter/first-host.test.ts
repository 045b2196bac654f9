// The parse's events up to the first host record, read before the store is open
// (delta-reporter/first-host.ts): the ingest must take exactly the events the parse gives, the
// parse must be told whether to keep down hosts from the metadata before that record, and a
// decision or a file that fails must change nothing but that.
import { Readable } from 'node:stream';
import type { ScanEvent, ScanMetaEvent } from '../../common/types';
import { FirstHostAhead } from '../../delta-reporter/first-host';
import { parseAhead } from '../../delta-reporter/parse-ahead';
import type { EventSource, ParseRequest } from '../../delta-reporter/parse-batches';

const REQ: ParseRequest = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8', bom: 0 }, ctx: { source: 'f.xml' } };
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<nmaprun scanner="nmap" args="nmap -v -p 22 10.0.0.0/20" start="1700000000" version="7.93">\n<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>\n';
const TAIL = '<runstats><finished time="1700000100" exit="success"/></runstats>\n</nmaprun>\n';

function host(i: number): string {
  const up = i % 2 === 0;
  const ports = up ? '<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/></port></ports>' : '';
  return `<host><status state="${up ? 'up' : 'down'}" reason="x"/>\n<address addr="10.0.${i >> 8}.${i & 255}" addrtype="ipv4"/>\n${ports}</host>\n`;
}

// More hosts than the parse puts in one batch (parse-batches.ts): what follows the first batch is parsed after the decision.
const HOSTS = 4000;
const FILE = HEAD + Array.from({ length: HOSTS }, (_, i) => host(i)).join('') + TAIL;

/** The in-process parse of `text`, with the keep-down calls it gets noted. */
async function source(text: string): Promise<{ src: EventSource; told: boolean[] }> {
  const inner = await parseAhead(REQ, { input: Readable.from([Buffer.from(text)]), readError: () => undefined, small: Promise.resolve(true) }, 'in-process');
  const told: boolean[] = [];
  const src: EventSource = {
    [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
    keepDownHosts: (keep) => {
      told.push(keep);
      inner.keepDownHosts(keep);
    },
    storeOpen: () => inner.storeOpen(),
    scanOpen: () => inner.scanOpen(),
    close: () => inner.close(),
    primed: () => inner.primed(),
  };
  return { src, told };
}

async function drain(it: AsyncIterable<{ events: ScanEvent[]; dropped: number }>): Promise<{ events: ScanEvent[]; dropped: number; error?: unknown }> {
  const out = { events: [] as ScanEvent[], dropped: 0 };
  try {
    for await (const b of it) {
      out.events.push(...b.events);
      out.dropped += b.dropped;
    }
  } catch (error) {
    return { ...out, error };
  }
  return out;
}

describe('the events up to the first host, read ahead', () => {
  test('decides on the metadata before the first host, tells the parse at once, and yields every event in order', async () => {
    const plain = await drain(await parseAhead(REQ, { input: Readable.from([Buffer.from(FILE)]), readError: () => undefined, small: Promise.resolve(true) }, 'in-process'));
    const { src, told } = await source(FILE);
    const seen: ScanMetaEvent[] = [];
    const ahead = new FirstHostAhead(src, (meta) => {
      seen.push(meta);
      return { keepDown: true, value: meta.args };
    });
    await ahead.read;
    expect(told).toEqual([true]);
    expect(ahead.decided).toBe('nmap -v -p 22 10.0.0.0/20');
    expect(seen).toHaveLength(1);
    expect(seen[0].startedAt?.getTime()).toBe(1700000000 * 1000);
    const got = await drain(ahead);
    expect(got.error).toBeUndefined();
    expect(got.events).toEqual(plain.events);
    expect(got.events.filter((e) => e.kind === 'host')).toHaveLength(HOSTS);
  });

  test('told to leave out down hosts, the parse leaves them out of what follows the first host', async () => {
    const { src } = await source(FILE);
    const ahead = new FirstHostAhead(src, () => ({ keepDown: false, value: null }));
    const got = await drain(ahead);
    const hosts = got.events.filter((e) => e.kind === 'host');
    expect(hosts.length).toBeLessThan(HOSTS * 0.75);
    expect(hosts.length + got.dropped).toBe(HOSTS);
    expect(hosts.filter((h) => h.kind === 'host' && h.status === 'up')).toHaveLength(HOSTS / 2);
  });

  test('a decision that fails is left to the scan opening: nothing is told, every event still comes', async () => {
    const { src, told } = await source(FILE);
    const ahead = new FirstHostAhead(src, () => {
      throw new Error('not a scanner name');
    });
    const got = await drain(ahead);
    expect(ahead.decided).toBeUndefined();
    expect(told).toEqual([]);
    expect(got.error).toBeUndefined();
    expect(got.events.filter((e) => e.kind === 'host')).toHaveLength(HOSTS);
  });

  test('a file without hosts ends without a decision; a file that fails raises the error the parse alone raises', async () => {
    const empty = await source(HEAD + TAIL);
    let asked = 0;
    const none = new FirstHostAhead(empty.src, () => ({ keepDown: true, value: asked++ }));
    const got = await drain(none);
    expect(asked).toBe(0);
    expect(got.error).toBeUndefined();
    expect(got.events.at(-1)).toMatchObject({ kind: 'end' });
    const text = HEAD + '<host><status state="up"/><<<\n';
    const alone = await drain(await parseAhead(REQ, { input: Readable.from([Buffer.from(text)]), readError: () => undefined, small: Promise.resolve(true) }, 'in-process'));
    const broken = await source(text);
    const failing = await drain(new FirstHostAhead(broken.src, () => ({ keepDown: true, value: null })));
    expect(alone.error).toBeInstanceOf(Error);
    expect(failing.error).toEqual(alone.error);
    expect(failing.events).toEqual(alone.events);
  });
});
