// Canonical addresses and fixed-width sortable keys (DESIGN §2): IPv4 dotted, IPv6 RFC 5952, and a
// 32-hex-digit key with IPv4 mapped into ::ffff:0:0/96, so a CIDR is one indexed BETWEEN.
import ipaddr from 'ipaddr.js';
import type { IpRange } from './types';

export const V4_PREFIX = '00000000000000000000ffff';
const STRICT_V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The canonical text of an address, or null when it is not one. Zone ids (%eth0) are dropped. */
export function canonicalIp(text: string): string | null {
  const s = text.trim().replace(/%.*$/, '');
  if (STRICT_V4.test(s)) return s;
  if (!s.includes(':') || !ipaddr.IPv6.isValid(s)) return null;
  const v6 = ipaddr.IPv6.parse(s);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return v6.toRFC5952String();
}

export function isIp(text: string): boolean {
  return canonicalIp(text) !== null;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Sortable key of a canonical (or any valid) address. */
export function ipKey(ip: string): string {
  // The hot case (one call per host of a scan): canonical dotted IPv4.
  if (STRICT_V4.test(ip)) {
    const o = ip.split('.');
    return V4_PREFIX + HEX[+o[0]] + HEX[+o[1]] + HEX[+o[2]] + HEX[+o[3]];
  }
  const c = canonicalIp(ip);
  if (c === null) throw new TypeError(`not an IP address: ${ip}`);
  if (!c.includes(':')) {
    return V4_PREFIX + c.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
  }
  return ipaddr.IPv6.parse(c).toByteArray().map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function keyToIp(key: string): string {
  if (key.startsWith(V4_PREFIX)) {
    const h = key.slice(24);
    return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
  }
  const bytes = [];
  for (let i = 0; i < 32; i += 2) bytes.push(parseInt(key.slice(i, i + 2), 16));
  return (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
}

const keyToBig = (k: string): bigint => BigInt('0x' + k);
const bigToKey = (n: bigint): string => n.toString(16).padStart(32, '0');

function cidrRange(addr: string, bits: number): IpRange | null {
  const ip = canonicalIp(addr);
  if (ip === null) return null;
  // The prefix length counts in the address family as written: ::ffff:10.0.0.0/104 is IPv6 notation.
  const width = addr.includes(':') ? 128 : 32;
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return null;
  const hostBits = BigInt(width - bits);
  const base = keyToBig(ipKey(ip));
  const mask = (1n << hostBits) - 1n;
  return { lo: bigToKey(base & ~mask), hi: bigToKey(base | mask) };
}

/** nmap's IPv4 octet syntax: each octet a number, a range a-b, a list a,b-c, or '*'. */
function octetRanges(spec: string): IpRange[] | null {
  const parts = spec.split('.');
  if (parts.length !== 4) return null;
  const octets: Array<Array<[number, number]>> = [];
  for (const p of parts) {
    const pieces: Array<[number, number]> = [];
    for (const piece of p.split(',')) {
      const m = /^(\d{1,3})?(-)?(\d{1,3})?$/.exec(piece === '*' ? '0-255' : piece);
      if (!m || (!m[1] && !m[2])) return null;
      const lo = m[1] ? Number(m[1]) : 0;
      const hi = m[2] ? (m[3] ? Number(m[3]) : 255) : lo;
      if (lo > 255 || hi > 255 || lo > hi) return null;
      pieces.push([lo, hi]);
    }
    octets.push(pieces);
  }
  const ranges: IpRange[] = [];
  // Trailing octets that are a whole 0-255 fold into the runs of the octet before them (10.*.*.* is one
  // range); that octet's pieces are contiguous runs; the octets before it are enumerated, capped, and
  // the cap is checked before enumerating.
  const whole = (o: Array<[number, number]>): boolean => o.length === 1 && o[0][0] === 0 && o[0][1] === 255;
  let run = 3;
  while (run > 0 && whole(octets[run])) run--;
  const count = octets.slice(0, run).reduce((n, o) => n * o.reduce((m, [lo, hi]) => m + hi - lo + 1, 0), 1);
  if (count > 65536) return null;
  let prefixes: number[][] = [[]];
  for (const pieces of octets.slice(0, run)) {
    const next: number[][] = [];
    for (const pre of prefixes) for (const [lo, hi] of pieces) for (let v = lo; v <= hi; v++) next.push([...pre, v]);
    prefixes = next;
  }
  const zeros = Array<number>(3 - run).fill(0);
  const ones = Array<number>(3 - run).fill(255);
  for (const pre of prefixes) {
    for (const [lo, hi] of octets[run]) {
      ranges.push({ lo: ipKey([...pre, lo, ...zeros].join('.')), hi: ipKey([...pre, hi, ...ones].join('.')) });
    }
  }
  return mergeRanges(ranges);
}

/**
 * Parses one target: an address, a CIDR, a dash range (10.0.0.1-10.0.0.50, 10.0.0.1-50, fd00::1-fd00::9)
 * or nmap's octet syntax (10.0.0-3.*). Returns null for anything else (host names, files).
 */
export function parseTarget(spec: string): IpRange[] | null {
  const s = spec.trim();
  if (s === '') return null;
  const slash = s.lastIndexOf('/');
  if (slash > 0) {
    const bits = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits)) return null;
    const r = cidrRange(s.slice(0, slash), Number(bits));
    return r ? [r] : null;
  }
  const single = canonicalIp(s);
  if (single !== null) {
    const k = ipKey(single);
    return [{ lo: k, hi: k }];
  }
  const dash = s.indexOf('-');
  if (dash > 0 && s.includes(':')) {
    const a = canonicalIp(s.slice(0, dash));
    const b = canonicalIp(s.slice(dash + 1));
    if (a === null || b === null) return null;
    const lo = ipKey(a);
    const hi = ipKey(b);
    return lo <= hi ? [{ lo, hi }] : null;
  }
  if (dash > 0 && !s.includes(':')) {
    const full = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (full) {
      const a = canonicalIp(full[1]);
      const b = canonicalIp(full[2]);
      if (a === null || b === null) return null;
      const lo = ipKey(a);
      const hi = ipKey(b);
      return lo <= hi ? [{ lo, hi }] : null;
    }
  }
  if (/^[\d.,*-]+$/.test(s)) return octetRanges(s);
  return null;
}

/** Parses a list of targets (comma or space separated CIDRs, addresses, ranges); throws on the first bad one. */
export function parseTargets(specs: readonly string[]): IpRange[] {
  const out: IpRange[] = [];
  for (const raw of specs) {
    for (const spec of splitTargetList(raw)) {
      const r = parseTarget(spec);
      if (r === null) throw new TypeError(`'${spec}' is not an address, CIDR or address range`);
      out.push(...r);
    }
  }
  return mergeRanges(out);
}

/** Splits '10.0.0.0/24,10.1.0.1-50 fd00::/64' into targets without breaking nmap's octet lists (10.0.0.1,2,3). */
function splitTargetList(raw: string): string[] {
  const out: string[] = [];
  for (const word of raw.replace(/\s*,\s*/g, ',').split(/\s+/).filter(Boolean)) {
    // A comma splits when what precedes it is a whole target (IPv6, CIDR, or four IPv4 octets) and what
    // follows starts a new address; otherwise it is nmap's octet list (10.0.0.1,2,3 or 10.0.1,2.5).
    const pieces = word.split(',');
    let cur = pieces[0];
    for (const p of pieces.slice(1)) {
      const whole = /[:/]/.test(cur) || (cur.match(/\./g) ?? []).length >= 3;
      if (whole && /[.:/]/.test(p)) {
        out.push(cur);
        cur = p;
      } else cur += ',' + p;
    }
    out.push(cur);
  }
  return out;
}

export function mergeRanges(ranges: readonly IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: IpRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && keyToBig(r.lo) <= keyToBig(last.hi) + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else out.push({ ...r });
  }
  return out;
}

/** a minus b, both merged or not. */
export function subtractRanges(a: readonly IpRange[], b: readonly IpRange[]): IpRange[] {
  let cur = mergeRanges(a);
  for (const cut of mergeRanges(b)) {
    const next: IpRange[] = [];
    const cl = keyToBig(cut.lo);
    const ch = keyToBig(cut.hi);
    for (const r of cur) {
      const rl = keyToBig(r.lo);
      const rh = keyToBig(r.hi);
      if (ch < rl || cl > rh) {
        next.push(r);
        continue;
      }
      if (rl < cl) next.push({ lo: r.lo, hi: bigToKey(cl - 1n) });
      if (rh > ch) next.push({ lo: bigToKey(ch + 1n), hi: r.hi });
    }
    cur = next;
  }
  return cur;
}

export function rangesContain(ranges: readonly IpRange[], key: string): boolean {
  return ranges.some((r) => r.lo <= key && key <= r.hi);
}

/** A range as a person reads it: an address, a CIDR when it is one, else lo-hi. */
export function formatRange(r: IpRange): string {
  if (r.lo === r.hi) return keyToIp(r.lo);
  const lo = keyToBig(r.lo);
  const size = keyToBig(r.hi) - lo + 1n;
  const v4 = r.lo.startsWith(V4_PREFIX) && r.hi.startsWith(V4_PREFIX);
  if ((size & (size - 1n)) === 0n && lo % size === 0n) {
    const bits = size.toString(2).length - 1;
    return `${keyToIp(r.lo)}/${(v4 ? 32 : 128) - bits}`;
  }
  return `${keyToIp(r.lo)}-${keyToIp(r.hi)}`;
}
