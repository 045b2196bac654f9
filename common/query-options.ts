// Option values shared by several commands, each checked with a message that says what is expected.
import { UsageError } from './errors';
import { parseTargets } from './ip';
import { parsePortSpec } from './ports';
import { parseDuration } from './duration';
import { parseTypeMask, TYPE_MASK_HINT } from './change-mask';
import type { ChangeFilter, IpRange, PortScope } from './types';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function networksOption(values: string[] | undefined, flag: string): IpRange[] | undefined {
  if (!values?.length) return undefined;
  try {
    return parseTargets(values);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`, `give CIDRs, addresses or ranges such as 10.1.0.0/16, 10.0.0.1-50, fd00::/64`);
  }
}

export function portsOption(value: string | undefined): PortScope | undefined {
  if (value === undefined) return undefined;
  try {
    return parsePortSpec(value);
  } catch (e) {
    throw new UsageError(`--ports: ${(e as Error).message}`, "use nmap's -p syntax, e.g. 1-1024,8443,U:53,T:80");
  }
}

/** '--type new_port,port_reopened' or '--type 40' → mask. */
function typeMaskOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTypeMask(value);
  } catch (e) {
    throw new UsageError(`--type: ${(e as Error).message}`, TYPE_MASK_HINT);
  }
}

/** An ISO date/time, or a duration back from now ('36h', '7d'). */
export function sinceOption(value: string | undefined, now = Date.now(), flag = '--since'): number | undefined {
  if (value === undefined) return undefined;
  const dur = parseDuration(value);
  if (dur !== null) return now - dur;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: '${value}' is neither a date nor a duration`, 'use e.g. 2026-11-20, 2026-11-20T02:00:00Z or 36h, 7d');
  return t;
}

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: '${value}' is not a whole number`, `give ${flag} a number such as 0 or 1234`);
  return Number(value);
}

/** The filters `changes` takes, as text from the command line or a query string (`serve`'s read API). */
export interface ChangeQuery {
  since?: string;
  afterId?: string;
  scanner?: string;
  type?: string;
  network?: string[];
  report?: string;
  unlisted?: boolean;
  scanId?: string;
}

export function changeFilter(q: ChangeQuery): ChangeFilter {
  if (q.unlisted && q.report === undefined) throw new UsageError('--unlisted needs --report', 'copy the whole command from the report, e.g. portdelta changes --report 3f2a… --unlisted');
  return {
    report: q.report,
    unlisted: q.unlisted,
    sinceMs: sinceOption(q.since),
    afterId: intOption(q.afterId, '--after-id'),
    scanId: intOption(q.scanId, '--scan-id'),
    scanner: q.scanner,
    typeMask: typeMaskOption(q.type),
    networks: networksOption(q.network, '--network'),
  };
}

/** The filters `state` and `hosts` take. */
export function scannerNetFilter(q: { scanner?: string; network?: string[] }): { scanner?: string; networks?: IpRange[] } {
  return { scanner: q.scanner, networks: networksOption(q.network, '--network') };
}
