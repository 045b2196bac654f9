// The Network page of an IPv6 prefix (/networks/fd00::/64): the same map as IPv4's, at most 256
// cells. A prefix of /120 or longer gets one cell per address; a shorter one gets 256 cells, one
// per block 8 bits longer (a /64 → 256 /72s). A block cell links to the narrowest whole-byte prefix
// (/72, /80, … /120) holding every known host in it, so a sparse prefix is crossed in one click, or
// straight to the host when it holds one. Only the reader's networks are counted (readScope).
import { hostsInRange } from '../../db/dashboard-repo';
import { canonicalIp, ipKey, keyToIp } from '../../common/ip';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { hostHref, html } from './html';
import { pageNumber, type PageCtx, type PageOut } from './page';
import { addressCell, cellTable, mapGrid, type MapCell } from './network-map';

const HINT = 'give an IPv6 prefix of /16 to /128, e.g. /networks/fd00::/64 or /networks/2001:db8::/48';
const PER_ADDRESS = 120;

const keyBig = (key: string): bigint => BigInt(`0x${key}`);
const bigIp = (n: bigint): string => keyToIp(n.toString(16).padStart(32, '0'));

/** The prefix's first address (aligned) and length; a bare address means its /120. */
export function parseNetworkV6(text: string): { base: bigint; bits: number } {
  const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  const ip = m ? canonicalIp(m[1]) : null;
  const bits = m?.[2] === undefined ? PER_ADDRESS : Number(m[2]);
  if (!m || !ip || !ip.includes(':') || bits < 16 || bits > 128) throw new HttpError(400, `'${text}' is not an IPv6 prefix the map can show`, HINT);
  const host = (1n << BigInt(128 - bits)) - 1n;
  return { base: keyBig(ipKey(ip)) & ~host, bits };
}

export const networkV6Href = (base: bigint, bits: number): string => `/networks/${bigIp(base)}/${bits}`;

interface Block {
  hosts: number;
  open: number;
  lo: bigint;
  hi: bigint;
}

/** Where a block cell links: its only host, else the narrowest whole-byte prefix holding all its hosts. */
function blockTarget(b: Block, cellBits: number): string {
  if (b.hosts === 1) return hostHref(bigIp(b.lo));
  let bits = cellBits;
  while (bits + 8 <= PER_ADDRESS && b.lo >> BigInt(128 - bits - 8) === b.hi >> BigInt(128 - bits - 8)) bits += 8;
  return networkV6Href(b.lo & ~((1n << BigInt(128 - bits)) - 1n), bits);
}

export async function networkV6Page(pc: PageCtx, spec: string): Promise<PageOut> {
  const { base, bits } = parseNetworkV6(spec);
  const perAddress = bits >= PER_ADDRESS;
  const cellBits = perAddress ? 128 : bits + 8;
  const shift = BigInt(128 - cellBits);
  const size = 1n << BigInt(128 - bits);
  const scope = readScope(pc.access, { networks: [{ lo: ipKey(bigIp(base)), hi: ipKey(bigIp(base + size - 1n)) }] });
  const hosts = await hostsInRange(pc.db.knex, scope);
  const blocks = new Map<number, Block>();
  for (const h of hosts) {
    const n = keyBig(ipKey(h.ip));
    const i = Number((n - base) >> shift);
    const b = blocks.get(i) ?? { hosts: 0, open: 0, lo: n, hi: n };
    b.hosts += 1;
    b.open += h.open_ports;
    if (n < b.lo) b.lo = n;
    if (n > b.hi) b.hi = n;
    blocks.set(i, b);
  }
  const count = perAddress ? Number(size) : 256;
  const grid: MapCell[] = [];
  for (let i = 0; i < count; i++) {
    const start = base + (BigInt(i) << shift);
    const b = blocks.get(i);
    grid.push(perAddress ? addressCell(bigIp(start), b)
      : { label: `${bigIp(start)}/${cellBits}`, target: b ? blockTarget(b, cellBits) : networkV6Href(start, cellBits), hosts: b?.hosts ?? 0, open: b?.open ?? 0 });
  }
  const wider = bits > 16 ? html` · <a href="${networkV6Href(base & ~((1n << BigInt(128 - Math.max(16, bits - 8))) - 1n), Math.max(16, bits - 8))}">the /${Math.max(16, bits - 8)} around it</a>` : '';
  const body = html`<p>${hosts.length} known host${hosts.length === 1 ? '' : 's'}, ${hosts.reduce((n, h) => n + h.open_ports, 0)} open ports now; one cell per ${perAddress ? 'address' : `/${cellBits}`}, the number in it its open ports${wider}.
A block with one known host links to that host; one with several, to the narrowest prefix (in whole bytes) that holds them all.</p>
${mapGrid(grid, perAddress)}
${cellTable(grid, networkV6Href(base, bits), pageNumber(pc.url))}`;
  return { title: `Network ${bigIp(base)}/${bits}`, body };
}
