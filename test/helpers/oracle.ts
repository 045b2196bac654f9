// The fixtures' ground truth (test/fixtures/scans/*/groundtruth.json, scanner_streams) as rows
// comparable with `changes --json`.
import fs from 'node:fs';
import path from 'node:path';
import { SCANS } from './cli';

export interface OracleEvent {
  ip: string;
  type: string;
  flags: number;
  port?: number;
  proto?: string;
  hostname?: string | null;
  returning?: boolean;
  old?: string | null;
  new?: string | null;
}

interface OracleFile {
  file: string;
  night: number;
  complete: boolean;
  events: OracleEvent[];
}

export interface Stream {
  scenario: string;
  scanner: string;
  files: OracleFile[];
}

export const SCENARIOS = ['lab-a', 'lab6-a', 'loop-a'];

/** One scan of a night in groundtruth.json: the up hosts with their PTR name and open ports. */
interface GtScan {
  scanner: string;
  series: string;
  tool: string;
  fake_start: string;
  files: string[];
  complete: boolean;
  hosts: Record<string, { hostname: string | null; open: string[] }>;
}

/** One event of a scan series' change between two usable nights. */
export type GtSeriesEvent =
  | { type: 'new_host'; ip: string; open_ports: string[]; returning: boolean }
  | { type: 'host_down'; ip: string; last_open_ports: string[] }
  | { type: 'new_port' | 'port_closed' | 'port_reopened'; ip: string; proto: string; port: number };

interface GtSeries {
  scanner: string;
  series: string;
  usable_nights: number[];
  changes: Array<{ from_night: number; to_night: number; events: GtSeriesEvent[] }>;
  /** `ip port/proto` → one letter a night, 'O' where it was open. */
  port_timelines: Record<string, string>;
}

/** The parts of groundtruth.json the tests read. */
export interface GroundTruth {
  nights: Array<{ night: number; scans: GtScan[] }>;
  series: Record<string, GtSeries>;
  scanner_streams: { streams: Record<string, OracleFile[]> };
  group_disagreements_tcp: unknown;
}

export function groundTruth(scenario: string): GroundTruth {
  return JSON.parse(fs.readFileSync(path.join(SCANS, scenario, 'groundtruth.json'), 'utf8'));
}

export function streams(): Stream[] {
  return SCENARIOS.flatMap((scenario) => {
    const s = groundTruth(scenario).scanner_streams.streams as Record<string, OracleFile[]>;
    return Object.entries(s).map(([scanner, files]) => ({ scenario, scanner, files }));
  });
}

/** The comparable part of a change: host events carry names and `returning`, port events their port. */
export interface Comparable {
  /** null only where a scanner event (ChangeRow.ip null) is compared: the ground truth has none. */
  ip: string | null;
  proto: string | null;
  port: number | null;
  type: number;
  hostname?: string | null;
  previous_hostname?: string | null;
  returning?: boolean;
}

export function fromOracle(e: OracleEvent): Comparable {
  if (e.port === undefined) {
    const dns = (e.flags & 4) !== 0;
    return {
      ip: e.ip, proto: null, port: null, type: e.flags,
      hostname: dns ? (e.new ?? null) : (e.hostname ?? null),
      previous_hostname: dns ? (e.old ?? null) : null,
      returning: e.returning ?? false,
    };
  }
  return { ip: e.ip, proto: e.proto ?? null, port: e.port, type: e.flags };
}

export function fromChange(c: { ip: string | null; proto: string | null; port: number | null; type: number; hostname: string | null; previous_hostname: string | null; returning: boolean }): Comparable {
  if (c.port === null) {
    return { ip: c.ip, proto: null, port: null, type: c.type, hostname: c.hostname, previous_hostname: c.previous_hostname, returning: c.returning };
  }
  return { ip: c.ip, proto: c.proto, port: c.port, type: c.type };
}

const key = (c: Comparable) => `${c.ip}|${c.proto}|${String(c.port).padStart(5, '0')}|${c.type}`;
export function sorted(list: Comparable[]): Comparable[] {
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Positive events: something appeared (new host, new or re-opened port, a new name). */
export function isPositive(c: Comparable): boolean {
  return (c.type & (1 | 4 | 8 | 32)) !== 0;
}
