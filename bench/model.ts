// The bench's ground truth. Two independent halves:
//  1. a deterministic network: what each address looks like on night 0, 1 and 2 (the generator
//     writes it out as nmap XML);
//  2. an executable statement of DESIGN §3 with default thresholds (1) for complete, full-scope,
//     name-resolving scans: previous reported state + one night's observation -> change rows.
// Nothing here runs or imports portdelta: the expected changes come from this model alone.

export const NIGHTS = 3;

/** One address on one night, as the generator writes it. */
export interface Observation {
  readonly up: boolean;
  readonly name: string | null;
  readonly ports: readonly number[];
}

/** A change row the model expects: the compared fields of `changes --json`. */
export interface ModelRow {
  ip: string;
  proto: string | null;
  port: number | null;
  type: number;
  hostname: string | null;
  previous_hostname: string | null;
  returning: boolean;
}

/** The reported state of one address, between nights. */
interface AddressState {
  status: 'up' | 'down' | null;
  hostname: string | null;
  everDown: boolean;
  ports: Map<number, 'open' | 'closed'>;
}

type Rng = () => number;

// Rates per night, relative to the addresses they apply to. ~30 % of the addresses are up, so a
// rate of 0.02 on up hosts is 2 % of the hosts up; births (P_BORN) apply to the ~70 % never seen.
const P_UP0 = 0.3;
const P_NAMED = 0.85;
const P_DOWN = 0.02; // an up host goes down
const P_RENAME = 0.015; // an up host's PTR changes (or appears / disappears)
const P_CLOSE = 0.02; // an up host closes one of its ports
const P_NEWPORT = 0.02; // an up host opens a port it never had open
const P_BORN = 0.0065; // a never-seen address comes up (≈1.5 % of the hosts up)
const P_RETURN = 0.5; // night 2: a host reported down in night 1 comes back
const P_RETURN_RENAMED = 0.25; // … under another name
const P_RETURN_NEWPORT = 0.3; // … with a port it never had open
const P_RETURN_LOSTPORT = 0.2; // … without one of its former ports
const P_REOPEN = 0.6; // night 2: a port closed in night 1 (host still up) opens again

// [port, nmap-services name, weight]
const COMMON: readonly (readonly [number, string, number])[] = [
  [22, 'ssh', 30], [80, 'http', 25], [443, 'https', 22], [445, 'microsoft-ds', 8], [3389, 'ms-wbt-server', 6],
  [139, 'netbios-ssn', 6], [135, 'msrpc', 6], [8080, 'http-proxy', 6], [8443, 'https-alt', 4], [25, 'smtp', 3],
  [53, 'domain', 3], [21, 'ftp', 3], [3306, 'mysql', 3], [5432, 'postgresql', 2], [111, 'rpcbind', 3],
  [2049, 'nfs', 2], [23, 'telnet', 1], [110, 'pop3', 1], [143, 'imap', 1], [993, 'imaps', 1], [995, 'pop3s', 1],
  [6379, 'redis', 1], [9200, 'wap-wsp', 1], [27017, 'mongod', 1], [5900, 'vnc', 2], [1433, 'ms-sql-s', 1],
  [1521, 'oracle', 1], [8000, 'http-alt', 2], [8888, 'sun-answerbook', 1], [9090, 'zeus-admin', 1],
  [5000, 'upnp', 1], [5985, 'wsman', 2], [389, 'ldap', 1], [636, 'ldapssl', 1], [88, 'kerberos-sec', 1],
  [631, 'ipp', 2], [9100, 'jetdirect', 2], [11211, 'memcache', 1], [179, 'bgp', 1], [515, 'printer', 1],
];
export const SERVICE = new Map<number, string>(COMMON.map(([p, n]) => [p, n]));
const WEIGHTS: number[] = [];
for (const [p, , w] of COMMON) for (let k = 0; k < w; k++) WEIGHTS.push(p);

const ROLES = ['web', 'db', 'mail', 'app', 'ws', 'srv', 'prn', 'cam', 'nas', 'vpn', 'lb', 'dev', 'test', 'k8s-node', 'build', 'voip'];
const UNITS = ['hq', 'lab', 'dmz', 'fin', 'hr', 'eng', 'ops', 'sales', 'edu', 'res'];

/** splitmix32-style per-address stream: the same address draws the same numbers at any size. */
function rngFor(seed: number, index: number): Rng {
  let s = (Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(seed | 0, 0x85ebca6b)) >>> 0;
  return function next() {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

function newName(rng: Rng): string {
  return `${ROLES[int(rng, ROLES.length)]}${int(rng, 1000)}.${UNITS[int(rng, UNITS.length)]}.bench.example`;
}

/** A PTR change: another name, or a name appearing or disappearing. */
function rename(rng: Rng, name: string | null): string | null {
  if (name === null) return newName(rng);
  if (rng() < 0.2) return null;
  let n: string;
  do n = newName(rng); while (n === name);
  return n;
}

/** A port this address never had open (common services mostly, some high ports). */
function freshPort(rng: Rng, ever: Set<number>): number {
  for (;;) {
    const p = rng() < 0.1 ? 1024 + int(rng, 64512) : WEIGHTS[int(rng, WEIGHTS.length)];
    if (!ever.has(p)) return p;
  }
}

const DOWN: Observation = Object.freeze({ up: false, name: null, ports: Object.freeze([]) });

function host(name: string | null, ports: readonly number[]): Observation {
  return { up: true, name, ports: [...ports].sort((a, b) => a - b) };
}

function freshHost(rng: Rng, ever: Set<number>): Observation {
  const name = rng() < P_NAMED ? newName(rng) : null;
  const n = 1 + int(rng, 5);
  const ports: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = freshPort(rng, ever);
    ever.add(p);
    ports.push(p);
  }
  return host(name, ports);
}

/** An up host's usual night: maybe renamed, maybe a port closed, maybe a new one. `keep` is never closed. */
function evolve(rng: Rng, prev: Observation, ever: Set<number>, keep?: number): Observation {
  let name = prev.name;
  if (rng() < P_RENAME) name = rename(rng, name);
  const ports = prev.ports.filter((p) => p !== keep);
  if (rng() < P_CLOSE && ports.length > 0) ports.splice(int(rng, ports.length), 1);
  if (keep !== undefined) ports.push(keep);
  if (rng() < P_NEWPORT) {
    const p = freshPort(rng, ever);
    ever.add(p);
    ports.push(p);
  }
  return host(name, ports);
}

/** What address `index` looks like on nights 0, 1, 2. */
export function nightsOf(seed: number, index: number): [Observation, Observation, Observation] {
  const rng = rngFor(seed, index);
  const ever = new Set<number>();
  const n0 = rng() < P_UP0 ? freshHost(rng, ever) : DOWN;

  let n1: Observation;
  if (n0.up) n1 = rng() < P_DOWN ? DOWN : evolve(rng, n0, ever);
  else n1 = rng() < P_BORN ? freshHost(rng, ever) : DOWN;

  let n2: Observation;
  if (n1.up) {
    if (rng() < P_DOWN) n2 = DOWN;
    else {
      // a port closed in night 1 on a host that stayed up may open again
      const closed = n0.up ? n0.ports.filter((p) => !n1.ports.includes(p)) : [];
      const reopen = closed.length > 0 && rng() < P_REOPEN ? closed[int(rng, closed.length)] : undefined;
      n2 = evolve(rng, n1, ever, reopen);
    }
  } else if (n0.up) {
    // reported down in night 1: it may return, with its old ports (re-opened), maybe renamed, maybe with a new port
    if (rng() < P_RETURN) {
      const name = rng() < P_RETURN_RENAMED ? rename(rng, n0.name) : n0.name;
      const ports = [...n0.ports];
      if (rng() < P_RETURN_LOSTPORT && ports.length > 1) ports.splice(int(rng, ports.length), 1);
      if (rng() < P_RETURN_NEWPORT) {
        const p = freshPort(rng, ever);
        ever.add(p);
        ports.push(p);
      }
      n2 = host(name, ports);
    } else n2 = DOWN;
  } else n2 = rng() < P_BORN ? freshHost(rng, ever) : DOWN;
  return [n0, n1, n2];
}

// ---------------------------------------------------------------------------------------------
// DESIGN §3 as a state machine (thresholds 1; every scan complete, in scope, resolving names).

export function newState(): AddressState {
  return { status: null, hostname: null, everDown: false, ports: new Map() };
}

/**
 * Applies one night's observation of one address to its reported state and calls emit(row) for
 * each change, row = {ip, proto, port, type, hostname, previous_hostname, returning}.
 */
export function observe(state: AddressState, obs: Observation, ip: string, emit: (row: ModelRow) => void): void {
  if (obs.up) {
    const hostNew = state.status !== 'up';
    const returning = state.status === 'down';
    // A host known before (up, or down after being up) had its names resolved: any difference counts.
    const renamed = state.status !== null && state.hostname !== obs.name;
    const type = (hostNew ? 1 : 0) | (renamed ? 4 : 0);
    if (type) emit({ ip, proto: null, port: null, type, hostname: obs.name, previous_hostname: renamed ? state.hostname : null, returning });
    const open = new Set(obs.ports);
    for (const port of obs.ports) {
      const prev = state.ports.get(port);
      if (prev !== 'open') {
        const t = (prev === 'closed' ? 32 : 8) | (hostNew ? 1 : 0);
        emit({ ip, proto: 'tcp', port, type: t, hostname: obs.name, previous_hostname: null, returning: hostNew && state.everDown });
        state.ports.set(port, 'open');
      }
    }
    for (const [port, st] of state.ports) {
      if (st === 'open' && !open.has(port)) {
        emit({ ip, proto: 'tcp', port, type: 16, hostname: obs.name, previous_hostname: null, returning: false });
        state.ports.set(port, 'closed');
      }
    }
    state.status = 'up';
    state.hostname = obs.name;
  } else if (state.status === 'up') {
    emit({ ip, proto: null, port: null, type: 2, hostname: state.hostname, previous_hostname: null, returning: false });
    for (const [port, st] of [...state.ports].sort((a, b) => a[0] - b[0])) {
      if (st !== 'open') continue;
      emit({ ip, proto: 'tcp', port, type: 18, hostname: state.hostname, previous_hostname: null, returning: false });
      state.ports.set(port, 'closed');
    }
    state.status = 'down';
    state.everDown = true;
  }
}

