// -sV-shaped copies of the bench's nights (issue 15's cost of version data): the same file with
// every open port's `<service name=".." method="table" conf="3"/>` guess replaced by what nmap -sV
// writes for a service it identified, `product=".." version=".." method="probed" conf="10"` and a
// CPE. The version of a port is a pure function of (seed, address, port, night), so the copy is
// made by streaming over the plain file, and the model (versions-expected.ts) knows every
// service_changed without reading it.
import { ipNum } from './compare';
import { rewriteLines } from './rewrite-lines';

/** The share of open ports whose version changes on a given night. */
const P_BUMP = 0.02;

/** Whether the service on address:port announces a newer version from night `night` on (never on night 0). */
export function bumped(seed: number, addr: number, port: number, night: number): boolean {
  if (night === 0) return false;
  let h = Math.imul(addr ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul(port + 0x165667b1, 0x85ebca6b) ^ Math.imul(night + 0x61c88647, 0xc2b2ae35) ^ Math.imul(seed | 0, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296 < P_BUMP;
}

/** The version address:port announces on a night: a base per port, one minor step per bump so far. */
export function versionOf(seed: number, addr: number, port: number, night: number): string {
  let minor = 0;
  for (let k = 1; k <= night; k++) if (bumped(seed, addr, port, k)) minor++;
  return `${1 + ((addr ^ port) % 9)}.${minor}`;
}

// the generator writes only IPv4: compare.ts's reading of an address is the one needed here too
export { ipNum } from './compare';

/** The -sV file of a night: `nightK.xml` → `nightK-sv.xml`. */
export const svFile = (file: string): string => file.replace(/\.xml$/, '-sv.xml');

// The generator's lines: an address, or an open port with its guess (state and service on one line).
const LINE = /<address addr="([\d.]+)"|portid="(\d+)">(<state [^>]*\/>)<service name="([^"]*)" method="table" conf="3"\/>/g;

/** Rewrites one chunk of whole lines; `at.addr` carries the host being read across chunks. */
function rewrite(text: string, seed: number, night: number, at: { addr: number }): string {
  return text.replace(LINE, (m: string, ip: string | undefined, port: string, state: string, name: string) => {
    if (ip !== undefined) {
      at.addr = ipNum(ip);
      return m;
    }
    const v = versionOf(seed, at.addr, Number(port), night);
    return `portid="${port}">${state}<service name="${name}" product="bench-${name}" version="${v}" method="probed" conf="10"><cpe>cpe:/a:bench:${name}:${v}</cpe></service>`;
  });
}

/** Writes the -sV copy of night `night`'s plain file `from` to `to`; returns its size in bytes. */
export function writeVersionNight(from: string, to: string, seed: number, night: number): number {
  const at = { addr: 0 };
  return rewriteLines(from, to, (text, first) => {
    // the scan's command line, in the header's comment and in nmaprun's args
    const head = first ? text.replace(/-sS -p- (-v -T4 -oX night\d)\.xml/g, '-sS -sV -p- $1-sv.xml') : text;
    return rewrite(head, seed, night, at);
  });
}
