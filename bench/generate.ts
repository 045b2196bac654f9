// Writes three nights of a full-port TCP scan (nmap 7.93, -sS -p- -v) of 10.0.0.0/PREFIX as nmap
// XML, deterministically from a seed, and the exact changes portdelta must report for each night,
// computed from the generator's own model (model.ts), never by running portdelta.
//
//   node dist/bench/generate.js --prefix 16 [--out bench-out/p16] [--seed 1]
//
// night0.xml  history: the first full load into an empty database (everything is new)
// night1.xml  relative to night0: hosts down, new hosts, renamed PTRs, new and closed ports
// night2.xml  relative to night1: all of those, plus returning hosts and re-opened ports
// expected-nightK.json  {night, file, start, hosts_listed, hosts_up, ports_open, change_count, counts, rows?}
// manifest.json         what was generated, for reuse by the bench (run.ts)
import fs from 'node:fs';
import path from 'node:path';
import { NIGHTS, SERVICE, nightsOf, newState, observe, type ModelRow, type Observation } from './model';
import { countByType, sortRows } from './compare';
import { ROOT } from './common';

/** expected-nightK.json: what portdelta must report for one night. */
export interface Expected {
  night: number;
  file: string;
  start: string;
  hosts_listed: number;
  hosts_up: number;
  ports_open: number;
  change_count: number;
  counts: Record<string, number>;
  /** null when not kept (night 0 above NIGHT0_ROWS_MAX_ADDRESSES): only the counts are checked. */
  rows: ModelRow[] | null;
}

/** One night in the manifest: its file, size and expected figures (not the rows). */
export interface NightInfo extends Omit<Expected, 'rows'> {
  bytes: number;
  expected: string;
}

export interface Manifest {
  generator: number;
  seed: number;
  prefix: number;
  network: string;
  addresses: number;
  generated_in_s: number;
  nights: NightInfo[];
  /** night2.xml re-dated one day later (redated.ts), once written: the no-change night. */
  redated?: NightInfo;
}

interface GenerateOptions {
  prefix: number | string;
  outDir: string;
  seed?: number | string;
}

/** One night while it is being written. */
interface NightOut {
  night: number;
  out: XmlOut;
  start: number;
  up: number;
  ports: number;
  rows: ModelRow[];
  counts: Record<string, number>;
  changeCount: number;
}

const VERSION = 1;
const START0 = 1741226400; // Thu Mar  6 02:00:00 2025 UTC; each night one day later
export const DAY = 86400;
/** Expected rows of night 0 (everything new) are written only up to this many addresses; counts always. */
const NIGHT0_ROWS_MAX_ADDRESSES = 65536;

const WDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');
/** nmap's ctime(3)-style time ("Thu Mar  6 02:00:00 2025"), in UTC. */
export function ctime(epoch: number): string {
  const d = new Date(epoch * 1000);
  return `${WDAY[d.getUTCDay()]} ${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** nmap's extrareasons port list: every port 1-65535 but the open ones. */
function closedRanges(open: readonly number[]): string {
  const out: string[] = [];
  let lo = 1;
  for (const p of open) {
    if (p > lo) out.push(p - 1 > lo ? `${lo}-${p - 1}` : `${lo}`);
    lo = p + 1;
  }
  if (lo <= 65535) out.push(lo < 65535 ? `${lo}-65535` : '65535');
  return out.join(',');
}

// Host records are copied straight into a big Buffer (latin1: every character is ASCII) and
// written in 8 MiB blocks: no string concatenation, so almost no garbage.
const BLOCK = 8 << 20;
class XmlOut {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BLOCK);
  private at = 0;
  bytes = 0;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  write(s: string): void {
    if (this.at + s.length > BLOCK) {
      this.flush();
      if (s.length > BLOCK) {
        this.bytes += fs.writeSync(this.fd, s);
        return;
      }
    }
    this.at += this.buf.write(s, this.at, 'latin1');
  }
  flush(): void {
    let off = 0;
    while (off < this.at) off += fs.writeSync(this.fd, this.buf, off, this.at - off);
    this.bytes += this.at;
    this.at = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

function header(night: number, cidr: string, addresses: number, start: number): string {
  const args = `nmap -sS -p- -v -T4 -oX night${night}.xml ${cidr}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.93 scan initiated ${ctime(start)} as: ${args} -->
<nmaprun scanner="nmap" args="${args}" start="${start}" startstr="${ctime(start)}" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="65535" services="1-65535"/>
<verbose level="1"/>
<debugging level="0"/>
<taskbegin task="Ping Scan" time="${start}"/>
<taskend task="Ping Scan" time="${start + 5}" extrainfo="${addresses} total hosts"/>
<taskbegin task="SYN Stealth Scan" time="${start + 6}"/>
`;
}

function trailer(start: number, elapsed: number, up: number, addresses: number, totalPorts: number): string {
  const end = start + elapsed;
  return `<taskend task="SYN Stealth Scan" time="${end - 1}" extrainfo="${totalPorts} total ports"/>
<runstats><finished time="${end}" timestr="${ctime(end)}" summary="Nmap done at ${ctime(end)}; ${addresses} IP addresses (${up} hosts up) scanned in ${elapsed}.00 seconds" elapsed="${elapsed}.00" exit="success"/><hosts up="${up}" down="${addresses - up}" total="${addresses}"/>
</runstats>
</nmaprun>
`;
}

function upHost(ip: string, obs: Observation, t: number, i: number): string {
  let s = `<host starttime="${t}" endtime="${t + 2 + (i % 7)}"><status state="up" reason="${i % 5 === 0 ? 'reset' : 'echo-reply'}" reason_ttl="${62 + (i % 3)}"/>\n<address addr="${ip}" addrtype="ipv4"/>\n<hostnames>\n`;
  if (obs.name !== null) s += `<hostname name="${obs.name}" type="PTR"/>\n`;
  const closed = 65535 - obs.ports.length;
  s += `</hostnames>\n<ports><extraports state="closed" count="${closed}">\n<extrareasons reason="reset" count="${closed}" proto="tcp" ports="${closedRanges(obs.ports)}"/>\n</extraports>\n`;
  for (const p of obs.ports) {
    s += `<port protocol="tcp" portid="${p}"><state state="open" reason="syn-ack" reason_ttl="${62 + (i % 3)}"/><service name="${SERVICE.get(p) ?? 'unknown'}" method="table" conf="3"/></port>\n`;
  }
  return `${s}</ports>\n<times srtt="${300 + (i % 900)}" rttvar="${50 + (i % 200)}" to="100000"/>\n</host>\n`;
}

/** The shape of one run: the network, its size, and how much of night 0 is kept as rows. */
interface Plan {
  outDir: string;
  seed: number;
  cidr: string;
  addresses: number;
  keepRows0: boolean;
  /** The scan's nominal duration in seconds, spread over the host records' start times. */
  elapsed: number;
}

/** The dotted first three octets of the /24 that address index `i` of 10.0.0.0/N lies in. */
function blockOf(i: number): string {
  const a = 10 * 2 ** 24 + i;
  return `${Math.floor(a / 2 ** 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.`;
}

/** Writes every address into the three nights, and the model's changes into their tallies. */
function writeAddresses(plan: Plan, nights: NightOut[]): void {
  const { addresses, elapsed, keepRows0 } = plan;
  let blockPrefix = '';
  for (let i = 0; i < addresses; i++) {
    // the prefix string changes once per 256 addresses: built then, not per address
    if ((i & 255) === 0) blockPrefix = blockOf(i);
    const ip = blockPrefix + (i & 255);
    const obs = nightsOf(plan.seed, i);
    const state = newState();
    for (let k = 0; k < NIGHTS; k++) {
      const n = nights[k];
      const o = obs[k];
      if (o.up) {
        n.up++;
        n.ports += o.ports.length;
        n.out.write(upHost(ip, o, n.start + 6 + Math.floor((i / addresses) * (elapsed - 10)), i));
      } else {
        n.out.write(`<host><status state="down" reason="no-response" reason_ttl="0"/>\n<address addr="${ip}" addrtype="ipv4"/>\n</host>\n`);
      }
      observe(state, o, ip, (row) => {
        n.counts[row.type] = (n.counts[row.type] ?? 0) + 1;
        n.changeCount++;
        if (k > 0 || keepRows0) n.rows.push(row);
      });
    }
  }
}

/** Closes one night's XML, writes its expected-nightK.json; returns its manifest entry. */
function finishNight(plan: Plan, n: NightOut): NightInfo {
  const { addresses, keepRows0 } = plan;
  n.out.write(trailer(n.start, plan.elapsed, n.up, addresses, addresses * 65535));
  n.out.close();
  const expected: Expected = {
    night: n.night,
    file: path.basename(n.out.file),
    start: new Date(n.start * 1000).toISOString(),
    hosts_listed: addresses,
    hosts_up: n.up,
    ports_open: n.ports,
    change_count: n.changeCount,
    counts: n.counts,
    rows: n.night > 0 || keepRows0 ? sortRows(n.rows) : null,
  };
  // the rows and the running counts are tallied apart: a disagreement is a bug in this file
  if (expected.rows) {
    const c = countByType(expected.rows);
    if (JSON.stringify(Object.entries(c).sort()) !== JSON.stringify(Object.entries(n.counts).sort())) throw new Error('model: rows and counts disagree');
  }
  const expFile = `expected-night${n.night}.json`;
  fs.writeFileSync(path.join(plan.outDir, expFile), JSON.stringify(expected));
  return {
    night: n.night, file: expected.file, bytes: n.out.bytes, start: expected.start, hosts_listed: addresses,
    hosts_up: n.up, ports_open: n.ports, change_count: n.changeCount, counts: n.counts, expected: expFile,
  };
}

/** Generates the three nights of 10.0.0.0/prefix into outDir; returns the manifest. */
export function generate(opts: GenerateOptions): Manifest {
  const prefix = Number(opts.prefix);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`--prefix must be 8..30, not ${opts.prefix}`);
  const seed = opts.seed === undefined ? 1 : Number(opts.seed);
  const outDir = opts.outDir;
  fs.mkdirSync(outDir, { recursive: true });
  const addresses = 2 ** (32 - prefix);
  const plan: Plan = {
    outDir, seed, cidr: `10.0.0.0/${prefix}`, addresses,
    keepRows0: addresses <= NIGHT0_ROWS_MAX_ADDRESSES, elapsed: Math.max(10, Math.round(addresses * 0.03)),
  };
  const t0 = Date.now();
  const nights: NightOut[] = [];
  for (let k = 0; k < NIGHTS; k++) {
    const start = START0 + k * DAY;
    const out = new XmlOut(path.join(outDir, `night${k}.xml`));
    out.write(header(k, plan.cidr, addresses, start));
    nights.push({ night: k, out, start, up: 0, ports: 0, rows: [], counts: {}, changeCount: 0 });
  }
  writeAddresses(plan, nights);
  const manifest: Manifest = { generator: VERSION, seed, prefix, network: plan.cidr, addresses, generated_in_s: 0, nights: [] };
  for (const n of nights) manifest.nights.push(finishNight(plan, n));
  manifest.generated_in_s = (Date.now() - t0) / 1000;
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The manifest in outDir if it matches (prefix, seed, generator version) and its files are all there. */
export function reusable(outDir: string, prefix: number, seed = 1): Manifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
    if (m.generator !== VERSION || m.prefix !== Number(prefix) || m.seed !== Number(seed)) return null;
    for (const n of m.redated ? [...m.nights, m.redated] : m.nights) {
      if (fs.statSync(path.join(outDir, n.file)).size !== n.bytes) return null;
      fs.accessSync(path.join(outDir, n.expected));
    }
    return m;
  } catch {
    return null;
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? (argv[i + 1] ?? dflt) : dflt;
  };
  const prefix = opt('prefix', '16');
  const outDir = opt('out', path.join(ROOT, 'bench-out', `p${prefix}`));
  const m = generate({ prefix, outDir, seed: opt('seed', '1') });
  const mb = m.nights.reduce((s, n) => s + n.bytes, 0) / 1e6;
  console.log(`${m.network}: ${m.addresses} addresses, 3 nights, ${mb.toFixed(1)} MB in ${m.generated_in_s.toFixed(1)} s (${(mb / m.generated_in_s).toFixed(0)} MB/s) -> ${outDir}`);
  for (const n of m.nights) console.log(`  ${n.file}: ${(n.bytes / 1e6).toFixed(1)} MB, ${n.hosts_up} up, ${n.ports_open} open ports, ${n.change_count} changes ${JSON.stringify(n.counts)}`);
}
