// The ports an nmap command line asked for, as nmap's getpts/gettoppts derive them: -p (numbers,
// T:/U:/S: prefixes, service names, [brackets]), --exclude-ports, and without -p --top-ports,
// --port-ratio, -F or the default top 1000 from nmap-services.
import type { NmapCommandLine } from './nmap-options';
import {
  BUNDLED_DESCRIPTION,
  BUNDLED_TOP1000_TCP,
  findServicesFile,
  loadServices,
  portsListed,
  portsNamed,
  topPorts,
  type ServicesDb,
} from './nmap-top-ports';
import { mergePortRanges, parsePortSpec } from './ports';
import type { PortRange, PortScope, Proto } from './types';

const PREFIX: Readonly<Record<string, Proto | null>> = { T: 'tcp', U: 'udp', S: 'sctp', P: null };

function union(into: PortScope, add: PortScope): void {
  for (const [p, ranges] of Object.entries(add) as Array<[Proto, PortRange[]]>) {
    if (into[p]) into[p] = mergePortRanges([...into[p]!, ...ranges]);
  }
}

function minus(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  let cur = mergePortRanges(a);
  for (const cut of mergePortRanges(b)) {
    cur = cur.flatMap((r) => {
      if (cut.hi < r.lo || cut.lo > r.hi) return [r];
      const out: PortRange[] = [];
      if (r.lo < cut.lo) out.push({ lo: r.lo, hi: cut.lo - 1 });
      if (r.hi > cut.hi) out.push({ lo: cut.hi + 1, hi: r.hi });
      return out;
    });
  }
  return cur;
}

/** Parses a -p / --exclude-ports spec into every scanned protocol (absent from the spec: []). Throws. */
function parseSpec(spec: string, protos: readonly Proto[], db: () => ServicesDb, warnings: string[]): PortScope {
  const out: PortScope = {};
  for (const p of protos) out[p] = [];
  let current: readonly Proto[] = protos;
  for (const raw of spec.replace(/,\s*$/, '').split(',')) {
    let piece = raw.trim();
    const m = /^([TUSP]):(.*)$/.exec(piece);
    if (m) {
      const proto = PREFIX[m[1]];
      if (proto && !protos.includes(proto)) warnings.push(`-p has ${m[1]}: ports but no ${proto.toUpperCase()} scan type: nmap skips them`);
      current = proto && protos.includes(proto) ? [proto] : [];
      piece = m[2];
    }
    if (current.length === 0) continue;
    const bracket = /^\[(.*)\]$/.exec(piece);
    if (bracket) union(out, portsListed(db(), parsePortSpec(bracket[1] || '-', current)));
    else if (/^[A-Za-z*?]/.test(piece)) {
      const named = portsNamed(db(), piece, current);
      if (current.every((p) => named[p]!.length === 0)) warnings.push(`no port has the service name '${piece}'`);
      union(out, named);
    } else union(out, parsePortSpec(piece, current));
  }
  return out;
}

export interface PortScopeResult {
  ports: PortScope | null;
  portsSource: string;
}

/** Ports for the scanned protocols `protos`; null with portsSource 'unknown: …' when they cannot be known. */
export function nmapPortScope(cl: NmapCommandLine, protos: readonly Proto[], warnings: string[], servicesFile?: string): PortScopeResult {
  const opts = (name: string) => cl.options.filter((o) => o.name === name);
  let dbProblem = '';
  let dbCache: ServicesDb | null | undefined;
  // nmap read another services list (--servicedb, --datadir): the bundled one is no stand-in for it.
  const custom = servicesFile ? undefined : [...opts('servicedb'), ...opts('datadir')][0];
  const services = (): ServicesDb | null => {
    if (dbCache !== undefined) return dbCache;
    const file = servicesFile ?? (custom ? null : findServicesFile());
    dbCache = null;
    if (!file) dbProblem = custom ? `nmap read the services list given by ${custom.text}` : 'no nmap-services file on this machine';
    else {
      try {
        dbCache = loadServices(file);
      } catch (err) {
        dbProblem = `cannot read ${file}: ${(err as Error).message}`;
      }
    }
    return dbCache;
  };
  const db = (): ServicesDb => {
    const found = services();
    if (!found) throw new Error(`service names and [brackets] in -p need nmap-services: ${dbProblem}`);
    return found;
  };

  try {
    const pOpts = opts('p');
    if (pOpts.length > 1) warnings.push('nmap refuses more than one -p; the last one is used');
    const spec = pOpts.at(-1)?.value;
    const excl = opts('exclude-ports').at(-1)?.value;
    const ex = excl === undefined ? undefined : parseSpec(excl, protos, db, warnings);
    let level: number | null = null;
    let how = '';
    for (const o of cl.options) {
      if (o.name !== 'top-ports' && o.name !== 'port-ratio') continue;
      const n = Number(o.value);
      const ok = o.name === 'top-ports' ? Number.isInteger(n) && n >= 1 && n <= 65536 : n > 0 && n < 1;
      if (!ok) throw new Error(`${o.text} is not a valid ${o.name === 'top-ports' ? 'port count' : 'ratio'}`);
      level = n;
      how = `--${o.name} ${o.value}`;
    }
    const fast = opts('F').length > 0 || opts('servicedb').length > 0;
    if (level === null && fast) [level, how] = [100, opts('F').length ? '-F' : `${opts('servicedb')[0].text} (top 100)`];
    if (fast && spec !== undefined) warnings.push('nmap refuses -F together with -p');

    let ports: PortScope;
    let source: string;
    if (level === null && spec !== undefined) {
      ports = parseSpec(spec, protos, db, warnings);
      source = '-p';
    } else {
      if (level === null) [level, how] = [1000, 'default top 1000'];
      let candidates = spec !== undefined ? parseSpec(spec, protos, db, warnings) : undefined;
      if (ex) {
        candidates ??= Object.fromEntries(protos.map((p) => [p, [{ lo: 1, hi: 65535 }]]));
        for (const p of protos) candidates[p] = minus(candidates[p]!, ex[p]!);
      }
      const found = services();
      if (found?.hasRatios) {
        ports = topPorts(found, level, protos, candidates);
        source = `${how} (nmap-services)`;
      } else if (!found && !custom && level === 1000 && protos.length === 1 && protos[0] === 'tcp' && !candidates) {
        ports = { tcp: BUNDLED_TOP1000_TCP.map((r) => ({ ...r })) };
        source = `${how} (${BUNDLED_DESCRIPTION})`;
      } else {
        throw new Error(`${how} needs nmap's services list: ${found ? `${found.path} has no port frequencies` : dbProblem}`);
      }
    }
    if (ex) {
      for (const p of protos) ports[p] = minus(ports[p]!, ex[p]!);
      source += ', --exclude-ports';
    }
    for (const p of protos) if (ports[p]!.length === 0) warnings.push(`no ${p.toUpperCase()} port is left to scan`);
    return { ports, portsSource: source };
  } catch (err) {
    const why = (err as Error).message;
    warnings.push(`the ports scanned are unknown: ${why}`);
    return { ports: null, portsSource: `unknown: ${why}` };
  }
}
