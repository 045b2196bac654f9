// nmap's nmap-services file and the port lists nmap derives from it: --top-ports N, -F, the default
// top 1000, --port-ratio, service names (-p http) and brackets (-p [1-1024]). Follows nmap's
// services.cc: first line of a port/proto wins, ports sorted by frequency, ties in file order.
import fs from 'fs';
import bundled from './data/nmap-top1000-tcp.json';
import { mergePortRanges, parsePortList } from './ports';
import type { PortRange, PortScope, Proto } from './types';
import { PROTOS } from './types';

interface ServiceEntry {
  name: string;
  port: number;
  proto: Proto;
  /** Open frequency, 0 when the line has none. */
  ratio: number;
}

export interface ServicesDb {
  path: string;
  /** File order, one entry per port/proto. */
  entries: ServiceEntry[];
  /** Highest ratio first; equal ratios keep file order (nmap's stable list sort). */
  byRatio: ServiceEntry[];
  /** false for an /etc/services-style file: nmap then refuses --top-ports. */
  hasRatios: boolean;
}

const SERVICES_PATHS: readonly string[] = Object.freeze([
  '/usr/share/nmap/nmap-services',
  '/usr/local/share/nmap/nmap-services',
]);

/** The TCP ports nmap 7.93 scans by default, for machines without an nmap-services file. */
export const BUNDLED_TOP1000_TCP: readonly PortRange[] = Object.freeze(parsePortList(bundled.tcp));
export const BUNDLED_DESCRIPTION = `bundled nmap ${bundled.nmapVersion} top ${bundled.count}`;

function parseRatio(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (text.includes('/')) {
    const m = /^(\d+)\/(\d+)/.exec(text);
    return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : null;
  }
  return text.startsWith('0.') ? parseFloat(text) : null;
}

export function parseServices(text: string, path = '(text)'): ServicesDb {
  const entries: ServiceEntry[] = [];
  const seen = new Set<string>();
  let hasRatios = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    const m = /^\s*(\S+)\s+(\d+)\/(\S+)(?:\s+(\S+))?/.exec(line);
    if (!m) continue;
    const port = Number(m[2]);
    const proto = m[3].toLowerCase();
    if (port > 65535 || !(PROTOS as readonly string[]).includes(proto)) continue;
    const key = `${port}/${proto}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ratio = parseRatio(m[4]);
    if (ratio !== null) hasRatios = true;
    entries.push({ name: m[1], port, proto: proto as Proto, ratio: ratio ?? 0 });
  }
  const byRatio = [...entries].sort((a, b) => b.ratio - a.ratio);
  return { path, entries, byRatio, hasRatios };
}

const cache = new Map<string, ServicesDb>();

/** Reads and caches one services file; throws when it cannot be read. */
export function loadServices(path: string): ServicesDb {
  let db = cache.get(path);
  if (!db) {
    db = parseServices(fs.readFileSync(path, 'utf8'), path);
    cache.set(path, db);
  }
  return db;
}

/** The first readable file of the usual places, or null. */
export function findServicesFile(paths: readonly string[] = SERVICES_PATHS): string | null {
  for (const p of paths) {
    try {
      fs.accessSync(p, fs.constants.R_OK);
      return p;
    } catch {
      // try the next place
    }
  }
  return null;
}

function inRanges(ranges: readonly PortRange[] | undefined, port: number): boolean {
  return (ranges ?? []).some((r) => r.lo <= port && port <= r.hi);
}

function collect(db: ServicesDb, protos: readonly Proto[], pick: (e: ServiceEntry) => boolean): PortScope {
  const acc: Partial<Record<Proto, PortRange[]>> = {};
  for (const p of protos) acc[p] = [];
  for (const e of db.entries) if (acc[e.proto] && pick(e)) acc[e.proto]!.push({ lo: e.port, hi: e.port });
  const out: PortScope = {};
  for (const p of protos) out[p] = mergePortRanges(acc[p]!);
  return out;
}

/**
 * nmap's gettoppts: level >= 1 takes the `level` most frequent ports per protocol, level < 1 every
 * port whose ratio is at least `level`. `candidates` (from -p and --exclude-ports) limits the choice
 * before counting, as nmap does.
 */
export function topPorts(db: ServicesDb, level: number, protos: readonly Proto[], candidates?: PortScope): PortScope {
  const count = level >= 1 ? Math.floor(level) : Infinity;
  const threshold = level >= 1 ? 0 : level;
  const acc: Partial<Record<Proto, PortRange[]>> = {};
  for (const p of protos) acc[p] = [];
  for (const e of db.byRatio) {
    if (e.ratio < threshold) break;
    const list = acc[e.proto];
    if (!list || list.length >= count) continue;
    if (candidates && !inRanges(candidates[e.proto], e.port)) continue;
    list.push({ lo: e.port, hi: e.port });
  }
  const out: PortScope = {};
  for (const p of protos) out[p] = mergePortRanges(acc[p]!);
  return out;
}

/** Ports whose service name matches an nmap wildcard ('http*', 'domain', '*'), case-insensitively. */
export function portsNamed(db: ServicesDb, mask: string, protos: readonly Proto[]): PortScope {
  const re = new RegExp(`^${mask.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return collect(db, protos, (e) => re.test(e.name));
}

/** nmap's brackets: only the ports of `ranges` that the services file lists for their protocol. */
export function portsListed(db: ServicesDb, ranges: PortScope): PortScope {
  const protos = PROTOS.filter((p) => ranges[p]);
  return collect(db, protos, (e) => inRanges(ranges[e.proto], e.port));
}
