// The scope an nmap command line asked for (DESIGN §2): target hosts minus --exclude, and the ports
// nmap derived from -p / --top-ports / -F / its default. Never throws: what cannot be known is null.
import { ipKey, mergeRanges, parseTarget, subtractRanges } from './ip';
import { parseNmapCommandLine, type NmapCommandLine } from './nmap-options';
import { nmapPortScope } from './nmap-port-scope';
import type { IpRange, PortScope, Proto } from './types';

export interface NmapArgsScope {
  /** Targets on the command line minus --exclude; null = cannot know (-iL, -iR, --excludefile, a target or exclusion not understood). */
  hosts: IpRange[] | null;
  /** Targets given as names: their addresses are not in `hosts`; the caller adds the addresses the file lists. */
  hostNames: string[];
  /** Ports the command line asked for, per scanned protocol; {} when no port was scanned; null = unknown. */
  ports: PortScope | null;
  /** '-p', '--top-ports 1000 (nmap-services)', 'default top 1000 (…)', '-F (…)', 'unknown: …'. */
  portsSource: string;
  /** false with -n. */
  resolvesNames: boolean;
  warnings: string[];
}

export interface NmapArgsOptions {
  /** nmap-services to derive top ports from; default: the usual install places, then a bundled list. */
  servicesFile?: string;
}

const V4_KEY_PREFIX = ipKey('0.0.0.0').slice(0, 24);
const isV4 = (r: IpRange): boolean => r.lo.startsWith(V4_KEY_PREFIX) && r.hi.startsWith(V4_KEY_PREFIX);
/** A DNS name, optionally with /bits (nmap scans the network around its address). */
const NAME = /^(?=.*[A-Za-z_])[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?(\/\d{1,3})?$/;

interface ScanKinds {
  protos: Proto[];
  /** Why no port was scanned (-sn, -sL, -sO), or null. */
  noPortScan: string | null;
  listOnly: boolean;
}

function scanKinds(cl: NmapCommandLine, warnings: string[]): ScanKinds {
  const protos = new Set<Proto>();
  const other = new Set<string>();
  for (const o of cl.options) {
    if (o.name === 'sI' || o.name === 'b' || o.name === 'scanflags') protos.add('tcp');
    if (o.name !== 's') continue;
    if (!o.value) warnings.push(`${o.text} names no scan type`);
    for (const c of o.value ?? '') {
      if ('STAWMNFX'.includes(c)) protos.add('tcp');
      else if (c === 'U') protos.add('udp');
      else if (c === 'Y' || c === 'Z') protos.add('sctp');
      else if (c === 'O' || c === 'n' || c === 'P' || c === 'L') other.add(c === 'P' ? 'n' : c);
      else if (!'VCR'.includes(c)) warnings.push(`unknown scan type -s${c} in ${o.text}; ignored`);
    }
  }
  const kinds = [...protos, ...other];
  if (other.size > 0 && kinds.length > 1) warnings.push(`nmap refuses -s${[...other][0]} with other scan types (${cl.options.filter((o) => o.name === 's').map((o) => o.text).join(' ')})`);
  if (other.has('L')) return { protos: [], noPortScan: 'no port scan (-sL lists targets)', listOnly: true };
  if (other.has('n')) return { protos: [], noPortScan: 'no port scan (-sn)', listOnly: false };
  if (other.has('O')) return { protos: [], noPortScan: 'no port scan (-sO scans IP protocols)', listOnly: false };
  const list = [...protos];
  return { protos: list.length ? list : ['tcp'], noPortScan: null, listOnly: false };
}

/** Splits an --exclude list as nmap does: on commas and blanks. */
const excludeItems = (spec: string): string[] => spec.split(/[,\s]+/).filter(Boolean);

function hostScope(cl: NmapCommandLine, warnings: string[]): { hosts: IpRange[] | null; hostNames: string[] } {
  const v6 = cl.options.some((o) => o.name === '6');
  const unknown: string[] = [];
  for (const o of cl.options) {
    if (['iL', 'iR', 'excludefile', 'resume'].includes(o.name)) unknown.push(o.text);
  }
  const ranges: IpRange[] = [];
  const hostNames: string[] = [];
  for (const t of cl.targets) {
    const r = parseTarget(t);
    if (r) {
      const mismatch = r.filter((x) => isV4(x) === v6);
      if (mismatch.length > 0) {
        warnings.push(`target ${t} is ${v6 ? 'IPv4 but the scan has -6' : 'IPv6 but the scan lacks -6'}: nmap skips it`);
      }
      ranges.push(...r.filter((x) => isV4(x) !== v6));
    } else if (NAME.test(t)) {
      const m = NAME.exec(t)!;
      hostNames.push(m[1] ? t.slice(0, -m[1].length) : t);
      if (m[1]) warnings.push(`target ${t}: the network around a named host is known only from the hosts the file lists`);
    } else unknown.push(`target '${t}'`);
  }
  const excluded: IpRange[] = [];
  const exclusions = cl.options.filter((o) => o.name === 'exclude');
  if (exclusions.length > 1) warnings.push(`nmap uses only the last of ${exclusions.length} --exclude options`);
  const exclude = exclusions.at(-1);
  for (const item of exclude?.value ? excludeItems(exclude.value) : []) {
    const r = parseTarget(item);
    if (r) excluded.push(...r);
    else unknown.push(`--exclude ${item}`);
  }
  if (unknown.length > 0) {
    warnings.push(`the target hosts cannot be known from the command line (${unknown.join(', ')})`);
    return { hosts: null, hostNames };
  }
  if (cl.targets.length === 0) warnings.push('the command line names no target');
  return { hosts: subtractRanges(mergeRanges(ranges), excluded), hostNames };
}

function emptyScope(warning: string): NmapArgsScope {
  return { hosts: null, hostNames: [], ports: null, portsSource: `unknown: ${warning}`, resolvesNames: true, warnings: [warning] };
}

/** The hosts and ports an nmap command line (as nmap recorded it) covered. */
export function scopeFromNmapArgs(args: string, opts: NmapArgsOptions = {}): NmapArgsScope {
  try {
    const cl = parseNmapCommandLine(String(args ?? ''));
    const warnings = [...cl.warnings];
    const kinds = scanKinds(cl, warnings);
    const scope = hostScope(cl, warnings);
    const { hostNames } = scope;
    let { hosts } = scope;
    if (kinds.listOnly && hosts) {
      warnings.push('-sL only lists targets: no host was scanned');
      hosts = [];
    }
    const resolvesNames = !cl.options.some((o) => o.name === 'n'); // as nmapResolvesNames, on the line parsed once
    if (hostNames.length > 0) {
      warnings.push(`targets given by name (${hostNames.join(', ')}): their addresses come from the hosts the file lists`);
    }
    const { ports, portsSource } = kinds.noPortScan
      ? { ports: {}, portsSource: kinds.noPortScan }
      : nmapPortScope(cl, kinds.protos, warnings, opts.servicesFile);
    return { hosts, hostNames, ports, portsSource, resolvesNames, warnings };
  } catch (err) {
    return emptyScope(`could not read the nmap command line: ${(err as Error).message}`);
  }
}
