// Every command, declared in one place; its implementation is imported only when it runs, so
// `portdelta --help` and cron's many short runs do not load the database drivers they do not need.
import type { Command } from 'commander';
import { collect } from './parse-options';
import type { GlobalOptions, Io } from './io';

export type Action = (args: string[], opts: Record<string, unknown>, global: GlobalOptions, io: Io) => Promise<number>;

export interface CommandSpec {
  name: string;
  args?: string;
  summary: string;
  example: string;
  options(cmd: Command): void;
  load(): Promise<{ run: Action }>;
}

// Spelled out here rather than read from the registry, so --help does not load the input agents.
const FORMATS = 'nmap-xml, nmap-grepable, masscan-xml, masscan-json (-oJ and -oD), masscan-list, zmap-csv, naabu-json, portdelta-csv';

const scannerNet = (cmd: Command) =>
  cmd.option('--scanner <name>', 'only this scanner').option('--network <cidr>', 'only addresses in this CIDR or range (repeatable)', collect);

export const COMMANDS: readonly CommandSpec[] = Object.freeze([
  {
    name: 'migrate',
    summary: 'create or upgrade the database schema',
    example: 'portdelta --db postgres://portdelta@db.example.org/portdelta migrate',
    options: () => undefined,
    load: () => import('./migrate'),
  },
  {
    name: 'ingest',
    args: '<file...>',
    summary: 'read scan files (or - for stdin) and record what changed',
    example: 'portdelta ingest --scanner scan-in /var/spool/scans/nmap-tcp.xml',
    options: (cmd) =>
      cmd
        .option('--scanner <name>', 'the scanner (vantage point) that produced the files (default: the file header, else "default")')
        .option('--format <name>', `skip content detection: ${FORMATS}`)
        .option('--scope <targets>', 'hosts the scan covered: CIDRs, addresses, ranges (repeatable, comma-separated)', collect)
        .option('--ports <spec>', "ports the scan covered, nmap's -p syntax (1-1024,U:53)")
        .option('--exit-code', 'exit 1 when changes were found'),
    load: () => import('./ingest'),
  },
  {
    name: 'convert',
    args: '<file>',
    summary: 'write a native scan file (or - for stdin) as the uniform CSV on stdout',
    example: 'portdelta convert --scanner dmz-external --scope 192.0.2.0/24 --ports 1-1024 masscan.json > scan.csv',
    options: (cmd) =>
      cmd
        .option('--format <name>', `skip content detection: ${FORMATS}`)
        .option('--scanner <name>', 'the scanner name written into the header (#scanner=)')
        .option('--scope <targets>', 'hosts the scan covered, for the header (#scope=): CIDRs, addresses, ranges (repeatable, comma-separated)', collect)
        .option('--ports <spec>', "ports the scan covered, for the header (#ports=), nmap's -p syntax"),
    load: () => import('./convert'),
  },
  {
    name: 'changes',
    summary: 'list recorded changes',
    example: 'portdelta changes --since 24h --type new_port,port_reopened --network 10.66.1.0/24',
    options: (cmd) =>
      scannerNet(
        cmd
          .option('--since <time>', 'changes detected at or after this time (ISO date) or this long ago (36h, 7d)')
          .option('--after-id <id>', 'changes with an id greater than this (for scripts that remember where they stopped)')
          .option('--type <names|mask>', 'change types as names (new_host,new_port,…) or a numeric mask'),
      ).option('--exit-code', 'exit 1 when changes were found'),
    load: () => import('./changes'),
  },
  {
    name: 'state',
    summary: 'current open ports per scanner',
    example: 'portdelta state --scanner scan-in --network 10.66.1.0/24',
    options: scannerNet,
    load: () => import('./state'),
  },
  {
    name: 'hosts',
    summary: 'known hosts per scanner, up and down',
    example: 'portdelta hosts --scanner scan-out',
    options: scannerNet,
    load: () => import('./hosts'),
  },
  {
    name: 'demo',
    summary: 'ingest bundled real scans of six nights into a temporary SQLite and show what changed',
    example: 'portdelta demo',
    options: (cmd) => cmd.option('--keep', 'keep the temporary database and print its path'),
    load: () => import('./demo'),
  },
]);
