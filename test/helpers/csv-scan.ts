// Small uniform-CSV scans (DESIGN §5) and config files, written by a test into its own temp folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CsvScan {
  /** ISO start time; each scan of a series needs a later one. */
  started: string;
  /** Rows after the column line: 'ip,proto,port,state,hostname,seen_at' (see the row helpers below). */
  rows: string[];
  scanner?: string;
  complete?: boolean;
  /** '#scope=' (default 10.9.0.0/24). */
  scope?: string;
  /** '#ports=' (default tcp:1-1024;udp:53). */
  ports?: string;
  /** '#dns=': whether the scan resolved names (default: it did, having a hostname column). */
  dns?: boolean;
}

const SCOPE = '10.9.0.0/24';
const PORTS = 'tcp:1-1024;udp:53';

/** The start time of night n (1-based) of a series: one day apart, 02:00 UTC. */
export function night(n: number): string {
  return new Date(Date.UTC(2026, 0, n, 2, 0, 0)).toISOString();
}

export const up = (ip: string, name = ''): string => `${ip},,,up,${name},`;
export const port = (ip: string, p: number, state = 'open', proto = 'tcp'): string => `${ip},${proto},${p},${state},,`;
export const ports = (ip: string, from: number, to: number, state = 'open'): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => port(ip, from + i, state));

export function csvText(s: CsvScan): string {
  return [
    '#portdelta-csv v1',
    ...(s.scanner ? [`#scanner=${s.scanner}`] : []),
    `#started=${s.started}`,
    `#complete=${s.complete ?? true}`,
    `#scope=${s.scope ?? SCOPE}`,
    `#ports=${s.ports ?? PORTS}`,
    ...(s.dns === undefined ? [] : [`#dns=${s.dns}`]),
    'ip,proto,port,state,hostname,seen_at',
    ...s.rows,
    '',
  ].join('\n');
}

/** A temporary folder for one test's input files. */
export class Scratch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-scratch-'));
  private n = 0;

  write(name: string, content: string | Buffer): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, content);
    return file;
  }

  /** Writes the scans of a series (rows, or rows with header settings) with increasing start times. */
  series(nights: Array<string[] | Omit<CsvScan, 'started'>>, extra: Omit<CsvScan, 'started' | 'rows'> = {}): string[] {
    return nights.map((n, i) => {
      const scan = Array.isArray(n) ? { rows: n } : n;
      return this.write(`night${i + 1}-${++this.n}.csv`, csvText({ ...extra, ...scan, started: night(i + 1) }));
    });
  }

  /** A config file with these scanners (values are written as YAML flow scalars). */
  config(scanners: Record<string, Record<string, string | number | string[]>>): string {
    const lines = ['scanners:'];
    for (const [name, opts] of Object.entries(scanners)) {
      lines.push(`  ${name}:`);
      if (Object.keys(opts).length === 0) lines.push('    timezone: UTC');
      for (const [k, v] of Object.entries(opts)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
    }
    return this.write(`config-${++this.n}.yaml`, lines.join('\n') + '\n');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
