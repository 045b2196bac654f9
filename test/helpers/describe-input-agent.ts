// The conformance suite every input agent runs (STYLE.md): on real fixtures, the agent is detected
// from content, streams one well-formed event sequence whatever the chunking, reports exactly the
// ground truth's up hosts, names and open ports, and rejects what it cannot read as a whole.
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

    test('random binary data is rejected as a whole', async () => {
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
      await expect(collect(agent, Readable.from([junk]))).rejects.toBeInstanceOf(ScanRejectedError);
    });
  });
}

export const readFixture = (file: string) => () => fs.readFileSync(file);
