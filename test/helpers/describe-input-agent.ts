// The conformance suite every input agent runs (STYLE.md): on real fixtures, the agent is detected
// from content, streams one well-formed event sequence whatever the chunking, reports exactly the
// ground truth's up hosts, names and open ports, and rejects what it cannot read as a whole. A
// damaged record (here: a host's address made invalid) is skipped with a positioned warning and
// makes the scan incomplete; a file whose every host record is damaged is rejected (DESIGN §3).
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { InputAgent } from '../../input-agents/types';
import { detect } from '../../input-agents/registry';
import { ScanRejectedError } from '../../common/errors';
import type { HostRecord, ScanEvent } from '../../common/types';

export interface AgentCase {
  /** Shown in test names. */
  name: string;
  /** The file's bytes. */
  bytes: () => Buffer;
  complete: boolean;
  /** ip → PTR name (null: none) and sorted open ports ('22/tcp'). */
  hosts: Record<string, { hostname: string | null; open: string[] }>;
  /** masscan-style formats know no names and no hosts without open ports. */
  names?: boolean;
}

const byPort = (a: string, b: string) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

export async function collect(agent: InputAgent, input: Readable): Promise<ScanEvent[]> {
  const out: ScanEvent[] = [];
  for await (const ev of agent.parse(input, { source: 'test', timezone: 'UTC' })) out.push(ev);
  return out;
}

/** Up hosts with their first PTR name and sorted open ports; several records of one ip merged. */
export function upHosts(events: ScanEvent[]): Record<string, { hostname: string | null; open: string[] }> {
  const acc = new Map<string, { hostname: string | null; open: Set<string> }>();
  for (const ev of events) {
    if (ev.kind !== 'host' || ev.status !== 'up') continue;
    const h = ev as HostRecord;
    const cur = acc.get(h.ip) ?? { hostname: null, open: new Set<string>() };
    cur.hostname ??= h.hostnames.find((n) => n.type === 'PTR')?.name ?? null;
    for (const p of h.ports) if (p.state === 'open') cur.open.add(`${p.port}/${p.proto}`);
    acc.set(h.ip, cur);
  }
  return Object.fromEntries([...acc].map(([ip, v]) => [ip, { hostname: v.hostname, open: [...v.open].sort(byPort) }]));
}

const esc = (s: string): string => s.replace(/[.:]/g, (c) => `\\${c}`);

/** The bytes with every written form of `ips` made an invalid address ('10.0.0.1' → '10.0.0.1.999'); throws when one is not in the file. */
function damageAddresses(bytes: Buffer, ips: readonly string[]): Buffer {
  let text = bytes.toString('latin1');
  for (const ip of ips) {
    const re = new RegExp(`(?<![0-9A-Fa-f.:])${esc(ip)}(?![0-9A-Fa-f.:])`, 'g');
    if (!re.test(text)) throw new Error(`the fixture does not write the address ${ip}`);
    text = text.replace(re, ip.includes(':') ? `${ip}::zz` : `${ip}.999`);
  }
  return Buffer.from(text, 'latin1');
}

/** Every address the agent reads a host record of, in file order. */
const recordAddresses = (events: ScanEvent[]): string[] => [...new Set(events.filter((e): e is HostRecord => e.kind === 'host').map((h) => h.ip))];

const isSkipped = (e: ScanEvent): boolean => e.kind === 'warning' && e.skippedRecord === true;

function describeDamage(agent: InputAgent, cases: AgentCase[]): void {
  const listed = (c: AgentCase): string[] => Object.entries(c.hosts).filter(([, h]) => c.names !== false || h.open.length > 0).map(([ip]) => ip);
  const several = cases.filter((c) => listed(c).length >= 2);
  test('has cases with two or more hosts to damage one of', () => expect(several.length).toBeGreaterThan(0));

  test.each(several.map((c) => [c.name, c] as const))('%s: a host with a damaged address is skipped with a positioned warning, the rest read, the scan incomplete', async (_n, c) => {
    const victim = listed(c)[0];
    const events = await collect(agent, Readable.from([damageAddresses(c.bytes(), [victim])]));
    const skipped = events.filter(isSkipped);
    expect(skipped.length).toBeGreaterThan(0);
    for (const w of skipped) expect(w).toMatchObject({ position: expect.stringMatching(/^(line \d+|\d+:\d+)$/), message: expect.stringContaining(victim) });
    const whole = upHosts(await collect(agent, Readable.from([c.bytes()])));
    delete whole[victim];
    expect(upHosts(events)).toEqual(whole);
    const end = events[events.length - 1];
    expect(end).toMatchObject({ kind: 'end', complete: false, reason: expect.stringContaining('damaged record') });
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s: every host address damaged: rejected at the first damaged record', async (_n, c) => {
    const ips = recordAddresses(await collect(agent, Readable.from([c.bytes()])));
    if (ips.length === 0) return expect(c.hosts).toEqual({}); // nothing to damage in a scan that found nothing
    const err = await collect(agent, Readable.from([damageAddresses(c.bytes(), ips)])).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ScanRejectedError);
    expect(err).toMatchObject({ message: expect.stringMatching(/no readable host record/), position: expect.stringMatching(/^(line \d+|\d+:\d+)$/) });
  });
}

export function describeInputAgent(agent: InputAgent, cases: AgentCase[]): void {
  describe(`input agent ${agent.name} (conformance)`, () => {
    test('has cases to run on', () => expect(cases.length).toBeGreaterThan(0));

    test.each(cases.map((c) => [c.name, c] as const))('%s: detected from its content', (_n, c) => {
      expect(detect(c.bytes().subarray(0, 64 * 1024), c.name).name).toBe(agent.name);
    });

    test.each(cases.map((c) => [c.name, c] as const))('%s: one end event, last, with the right completeness', async (_n, c) => {
      const events = await collect(agent, Readable.from([c.bytes()]));
      const ends = events.filter((e) => e.kind === 'end');
      expect(ends).toHaveLength(1);
      expect(events[events.length - 1]).toBe(ends[0]);
      expect(ends[0]).toMatchObject({ complete: c.complete });
      expect(events.findIndex((e) => e.kind === 'meta')).toBeLessThan(Math.max(0, events.findIndex((e) => e.kind === 'host')) + 1);
    });

    test.each(cases.map((c) => [c.name, c] as const))('%s: up hosts, names and open ports equal the ground truth', async (_n, c) => {
      const got = upHosts(await collect(agent, Readable.from([c.bytes()])));
      const want = Object.fromEntries(
        Object.entries(c.hosts)
          .filter(([, h]) => c.names !== false || h.open.length > 0)
          .map(([ip, h]) => [ip, { hostname: c.names === false ? null : h.hostname, open: [...h.open].sort(byPort) }]),
      );
      expect(got).toEqual(want);
    });

    test.each(cases.map((c) => [c.name, c] as const))('%s: 7-byte chunks give the same events as one piece', async (_n, c) => {
      const whole = await collect(agent, Readable.from([c.bytes()]));
      const pieces = await collect(agent, chunked(c.bytes(), 7));
      expect(JSON.stringify(pieces)).toBe(JSON.stringify(whole));
    });

    describeDamage(agent, cases);

    test('random binary data is rejected as a whole', async () => {
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
      await expect(collect(agent, Readable.from([junk]))).rejects.toBeInstanceOf(ScanRejectedError);
    });
  });
}

export const readFixture = (file: string) => () => fs.readFileSync(file);
