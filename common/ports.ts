// Port specs in nmap's -p syntax ('1-1024,8443,U:53,T:80', '-', '[1-1024]') and per-protocol range sets.
import type { PortRange, PortScope, Proto } from './types';
import { PROTOS } from './types';

const PREFIX: Record<string, Proto> = { T: 'tcp', U: 'udp', S: 'sctp' };

export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else out.push({ lo: r.lo, hi: r.hi });
  }
  return out;
}

/**
 * Parses nmap's -p syntax. Ports without a protocol prefix go to every protocol in `unprefixed`
 * (the scan types on the command line; nmap's default is TCP). Throws on a malformed spec.
 * Service names (-p http) cannot be resolved here and make the spec fail.
 */
export function parsePortSpec(spec: string, unprefixed: readonly Proto[] = ['tcp']): PortScope {
  const acc: Partial<Record<Proto, PortRange[]>> = {};
  let current: readonly Proto[] = unprefixed;
  const text = spec.trim();
  if (text === '') throw new TypeError('empty port specification');
  for (let piece of text.split(',')) {
    piece = piece.trim();
    const m = /^([TUS]):(.*)$/i.exec(piece);
    if (m) {
      current = [PREFIX[m[1].toUpperCase()]];
      piece = m[2];
    }
    piece = piece.replace(/^\[(.*)\]$/, '$1');
    let lo: number;
    let hi: number;
    if (piece === '-' || piece === '*') {
      lo = 1;
      hi = 65535;
    } else {
      const r = /^(\d*)-(\d*)$/.exec(piece);
      if (r) {
        lo = r[1] === '' ? 1 : Number(r[1]);
        hi = r[2] === '' ? 65535 : Number(r[2]);
      } else if (/^\d+$/.test(piece)) {
        lo = hi = Number(piece);
      } else throw new TypeError(`'${piece}' is not a port, a range or '-'`);
    }
    if (lo < 0 || hi > 65535 || lo > hi) throw new TypeError(`port range ${lo}-${hi} is outside 0-65535`);
    for (const p of current) (acc[p] ??= []).push({ lo, hi });
  }
  const out: PortScope = {};
  for (const p of PROTOS) if (acc[p]) out[p] = mergePortRanges(acc[p]!);
  return out;
}

/** nmap's compact list '1,3-4,6' (no prefixes) as ranges. */
export function parsePortList(list: string): PortRange[] {
  if (list.trim() === '') return [];
  return parsePortSpec(list, ['tcp']).tcp ?? [];
}

export function formatPortRanges(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`)).join(',');
}

/** 'tcp:1-65535;udp:53,161' — the uniform CSV's #ports header. */
export function formatPortScope(scope: PortScope): string {
  return PROTOS.filter((p) => scope[p]?.length).map((p) => `${p}:${formatPortRanges(scope[p]!)}`).join(';');
}

export function parsePortScopeHeader(text: string): PortScope {
  const out: PortScope = {};
  for (const part of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(tcp|udp|sctp):(.*)$/i.exec(part);
    if (!m) throw new TypeError(`'${part}' is not proto:ports`);
    const proto = m[1].toLowerCase() as Proto;
    out[proto] = mergePortRanges([...(out[proto] ?? []), ...parsePortList(m[2])]);
  }
  return out;
}

export function countPorts(ranges: readonly PortRange[] | undefined): number {
  return (ranges ?? []).reduce((n, r) => n + r.hi - r.lo + 1, 0);
}

export function portInRanges(ranges: readonly PortRange[] | undefined, port: number): boolean {
  return (ranges ?? []).some((r) => r.lo <= port && port <= r.hi);
}

export function isValidPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

export function isProto(s: string): s is Proto {
  return (PROTOS as readonly string[]).includes(s);
}
