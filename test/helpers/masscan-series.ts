// The masscan `series` of lab-a's ground truth (test/fixtures/scans/README.md) as the rows
// `changes --json` must show after each file, and the scope masscan was run with (commands.txt).
import fs from 'node:fs';
import path from 'node:path';
import { SCANS } from './cli';
import { groundTruth, type Comparable, type GtSeriesEvent } from './oracle';

const LAB = path.join(SCANS, 'lab-a');
const EXT: Record<string, string> = { 'masscan-xml': 'xml', 'masscan-json': 'json', 'masscan-list': 'list' };

interface SeriesFile {
  night: number;
  file: string;
  expected: Comparable[];
}

export interface MasscanSeries {
  scanner: string;
  series: string;
  files: SeriesFile[];
}

/** masscan's target and -p as recorded in commands.txt (the same for every masscan run of lab-a). */
export function masscanScope(): { scope: string; ports: string } {
  const line = fs.readFileSync(path.join(LAB, 'commands.txt'), 'utf8').split('\n').find((l) => /\tmasscan /.test(l))!;
  const m = /\tmasscan (\S+) -p (\S+)/.exec(line)!;
  return { scope: m[1], ports: m[2] };
}

const port = (ip: string, spec: string, type: number): Comparable => {
  const [p, proto] = spec.split('/');
  return { ip, proto, port: Number(p), type };
};
const host = (ip: string, type: number, returning = false): Comparable => ({ ip, proto: null, port: null, type, hostname: null, previous_hostname: null, returning });

export function masscanSeries(): MasscanSeries[] {
  const gt = groundTruth('lab-a');
  const scans = new Map<string, Record<string, { open: string[] }>>();
  for (const n of gt.nights) for (const s of n.scans) if (s.tool === 'masscan') scans.set(`${s.scanner}/${s.series}/${n.night}`, s.hosts);
  return Object.values(gt.series)
    .filter((s) => s.series.startsWith('masscan-'))
    .map((s) => {
      const nights: number[] = s.usable_nights;
      const files = nights.map((night, i): SeriesFile => {
        const file = path.join(LAB, `night${night}`, s.scanner, `masscan.${EXT[s.series]}`);
        if (i === 0) {
          // The series has no events for its first scan; the engine reports all of it as new.
          const hosts = scans.get(`${s.scanner}/${s.series}/${night}`)!;
          const expected = Object.entries(hosts).filter(([, h]) => h.open.length > 0)
            .flatMap(([ip, h]) => [host(ip, 1), ...h.open.map((o) => port(ip, o, 1 | 8))]);
          return { night, file, expected };
        }
        const change = s.changes.find((c) => c.to_night === night);
        const wasOpen = (ip: string, spec: string) => (s.port_timelines[`${ip} ${spec}`] ?? '').slice(0, i).includes('O');
        const expected = (change?.events ?? []).flatMap((e): Comparable[] => {
          switch (e.type) {
            case 'new_host': return [host(e.ip, 1, e.returning), ...e.open_ports.map((o: string) => port(e.ip, o, e.returning && wasOpen(e.ip, o) ? 1 | 32 : 1 | 8))];
            case 'host_down': return [host(e.ip, 2), ...e.last_open_ports.map((o: string) => port(e.ip, o, 2 | 16))];
            case 'new_port': return [{ ip: e.ip, proto: e.proto, port: e.port, type: 8 }];
            case 'port_closed': return [{ ip: e.ip, proto: e.proto, port: e.port, type: 16 }];
            case 'port_reopened': return [{ ip: e.ip, proto: e.proto, port: e.port, type: 32 }];
            default: throw new Error(`unexpected masscan series event ${(e as GtSeriesEvent).type}`);
          }
        });
        return { night, file, expected };
      });
      return { scanner: s.scanner, series: s.series, files };
    });
}
