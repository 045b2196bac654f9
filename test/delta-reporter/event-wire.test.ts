// The events of a parse thread cross to the ingest flattened (delta-reporter/event-wire.ts): what
// arrives must be exactly what was sent, field for field (no field lost, none added as undefined,
// dates as dates), for every fixture of every format and for records the fixtures lack.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { HostRecord, ScanEvent } from '../../common/types';
import { openInput } from '../../input-agents/open-input';
import { detect } from '../../input-agents/registry';
import { fileEncoding } from '../../input-agents/text-encoding';
import { fromWireBatch, toWireBatch } from '../../delta-reporter/event-wire';
import { parsed } from '../helpers/parsed';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

// Without the structured clone between the threads: in jest's sandbox it makes dates of another
// realm, which toStrictEqual tells apart. The threads' own round trip is in parse-in-parts.test.ts.
const roundTrip = (events: ScanEvent[], dropped = 0) => fromWireBatch(toWireBatch({ events, dropped }));

describe('a batch of events on the wire', () => {
  test('arrives as it was sent, for every fixture', async () => {
    let hosts = 0;
    let flattened = 0;
    for (const file of filesUnder(FIXTURES)) {
      let events: ScanEvent[];
      try {
        const { head, rest } = await openInput(file);
        const parts = [head];
        for await (const c of rest) parts.push(c as Buffer);
        const req = { agent: detect(head, file).name, encoding: fileEncoding(head, file), ctx: { source: file } };
        events = (await parsed(req, [Buffer.concat(parts)], 'in-process')).events;
      } catch {
        continue; // not a scan any agent reads
      }
      const wire = toWireBatch({ events, dropped: 3 });
      flattened += wire.events.filter((e) => e === null).length;
      hosts += events.filter((e) => e.kind === 'host').length;
      expect({ file, batch: fromWireBatch(wire) }).toStrictEqual({ file, batch: { events, dropped: 3 } });
    }
    expect(hosts).toBeGreaterThan(1000);
    // most records are the common kind; those with fingerprints or certificates go whole
    expect(flattened).toBeGreaterThan(hosts / 2);
    expect(flattened).toBeLessThan(hosts);
  });

  test('keeps each optional field of a host only where it was set', () => {
    const base: HostRecord = { kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [], ports: [] };
    const hosts: HostRecord[] = [
      base,
      { ...base, position: '12:1', seenAt: new Date(1765000000123), timedOut: false, mac: '00:11:22:33:44:55' },
      { ...base, status: 'down', timedOut: true, hostnames: [{ name: 'a.example', type: 'user' }, { name: '', type: 'PTR' }] },
      { ...base, ports: [{ proto: 'tcp', port: 0, state: 'open', service: '' }, { proto: 'udp', port: 65535, state: 'open|filtered' }] },
    ];
    const wire = toWireBatch({ events: hosts, dropped: 0 });
    expect(wire.events).toEqual([null, null, null, null]);
    expect(roundTrip(hosts).events).toStrictEqual(hosts);
  });

  test('sends whole what it cannot flatten: fingerprints, certificates, unknown ports, a field it does not know', () => {
    const base: HostRecord = { kind: 'host', ip: '10.0.0.2', status: 'up', hostnames: [], ports: [] };
    const fp = { name: 'ssh', product: 'OpenSSH', version: '9.6', extrainfo: null, tunnel: null, method: 'probed' as const };
    const hosts = [
      { ...base, ports: [{ proto: 'tcp' as const, port: 22, state: 'open' as const, fingerprint: fp }] },
      { ...base, unknownPorts: { tcp: [{ lo: 1, hi: 100 }] } },
      { ...base, later: 'a field added after this codec' } as HostRecord,
    ];
    const wire = toWireBatch({ events: hosts, dropped: 0 });
    expect(wire.events.filter((e) => e === null)).toHaveLength(0);
    expect(roundTrip(hosts).events).toStrictEqual(hosts);
  });

  test('keeps every other event in its place between the flattened hosts', async () => {
    const text = '<?xml version="1.0"?>\n<nmaprun scanner="nmap" start="1700000000">\n<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host>\n<host><address addr="10.0.0.999" addrtype="ipv4"/></host>\n<host><status state="up"/><address addr="10.0.0.3" addrtype="ipv4"/></host>\n</nmaprun>\n';
    const req = { agent: 'nmap-xml', encoding: { encoding: 'UTF-8' as const, bom: 0 }, ctx: { source: 'w.xml' } };
    const { events } = await parsed(req, Readable.from([Buffer.from(text)]), 'in-process');
    expect(events.map((e) => e.kind)).toEqual(['meta', 'host', 'warning', 'host', 'warning', 'end']);
    expect(roundTrip(events, 7)).toStrictEqual({ events, dropped: 7 });
  });
});
