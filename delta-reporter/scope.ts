// Which hosts and ports a scan covered (DESIGN §2). It decides what absence means: outside the
// scope, a missing host or port proves nothing.
import type { IpRange, PortScope, ScanMetaEvent } from '../common/types';
import type { ScannerConfig } from '../common/scanner-config';
import { scopeFromNmapArgs } from '../common/nmap-args';
import { formatRange } from '../common/ip';

export interface ScopeOptions {
  /** --scope on the command line. */
  hosts?: IpRange[];
  /** --ports on the command line. */
  ports?: PortScope;
}

export interface ResolvedScope {
  /** null: only the hosts the file lists (added from staging by the caller). */
  hosts: IpRange[] | null;
  /** Also count the hosts the file lists as in scope (targets given by name). */
  includeListedHosts: boolean;
  hostsSource: string;
  /** null: unknown, so no port is ever concluded closed. */
  ports: PortScope | null;
  portsSource: string;
  resolvesNames: boolean;
  warnings: string[];
}

const describe = (ranges: IpRange[]): string =>
  ranges.length <= 3 ? ranges.map(formatRange).join(',') : `${ranges.slice(0, 3).map(formatRange).join(',')} and ${ranges.length - 3} more`;

export function resolveScope(meta: ScanMetaEvent, opts: ScopeOptions, scanner: ScannerConfig): ResolvedScope {
  const warnings: string[] = [];
  const fromArgs = meta.args && (meta.tool ?? 'nmap') === 'nmap' ? scopeFromNmapArgs(meta.args) : null;
  const resolvesNames = meta.resolvesNames ?? fromArgs?.resolvesNames ?? true;

  let hosts: IpRange[] | null = null;
  let includeListedHosts = false;
  let hostsSource: string;
  if (opts.hosts) {
    hosts = opts.hosts;
    hostsSource = `--scope ${describe(opts.hosts)}`;
  } else if (scanner.scope) {
    hosts = scanner.scope;
    hostsSource = `scanner config ${describe(scanner.scope)}`;
  } else if (meta.hostScope) {
    hosts = meta.hostScope;
    hostsSource = `file header ${describe(meta.hostScope)}`;
  } else if (fromArgs?.hosts) {
    hosts = fromArgs.hosts;
    includeListedHosts = fromArgs.hostNames.length > 0;
    hostsSource = `command line ${describe(fromArgs.hosts)}${includeListedHosts ? ' and the hosts listed by name' : ''}`;
  } else {
    hostsSource = 'hosts listed in the file';
    warnings.push(
      'the file records no target range: only the hosts it lists are taken as scanned, so hosts that vanish without being listed are not noticed (give --scope or set the scanner\'s scope)',
    );
  }
  if (fromArgs) warnings.push(...fromArgs.warnings);

  let ports: PortScope | null = null;
  let portsSource: string;
  if (opts.ports) {
    ports = opts.ports;
    portsSource = '--ports';
  } else if (meta.portScope) {
    ports = meta.portScope;
    portsSource = 'file';
  } else if (scanner.ports) {
    ports = scanner.ports;
    portsSource = 'scanner config';
  } else if (fromArgs?.ports) {
    ports = fromArgs.ports;
    portsSource = `command line ${fromArgs.portsSource}`;
  } else {
    portsSource = 'unknown';
    warnings.push(
      'the ports scanned are unknown: no port is concluded closed from this file (give --ports or set the scanner\'s ports)',
    );
  }
  if (hosts === null && ports === null) {
    // Say it once, plainly: this is the normal case for masscan, zmap and naabu files given no scope.
    const i = warnings.findIndex((w) => w.startsWith('the file records no target range'));
    const j = warnings.findIndex((w) => w.startsWith('the ports scanned are unknown: no port'));
    if (i >= 0 && j >= 0) {
      warnings.splice(Math.max(i, j), 1);
      warnings.splice(Math.min(i, j), 1, NO_ABSENCE);
    }
  }
  return { hosts, includeListedHosts, hostsSource, ports, portsSource, resolvesNames, warnings };
}

const NO_ABSENCE =
  'scope unknown: the file records neither the hosts nor the ports it scanned, so no absence is concluded (no host is taken down and no port closed for not being listed); give --scope and --ports, or set the scanner\'s scope and ports';

/** What a scan may conclude from what it does not list (the ingest summary's `absence`). */
export function absence(scope: ResolvedScope, complete: boolean): { hosts: boolean; ports: boolean } {
  return { hosts: complete && scope.hosts !== null, ports: complete && scope.ports !== null };
}
