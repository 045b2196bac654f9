// The Network page: an IPv4 CIDR given in the URL (/networks/10.66.0.0/16) as an address-space map,
// one cell per address for a /24 or smaller, one cell per /24 for a /17 to a /16, coloured by the
// open ports now; each cell links to its host or its /24. Only the reader's networks are counted.
// An IPv6 prefix (/networks/fd00::/64) is drawn by network-v6.ts.
import { blocksInRange, hostsInRange } from '../../db/dashboard-repo';
import { canonicalIp, ipKey } from '../../common/ip';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { redirect } from '../web-redirect';
import { html } from './html';
import { pageNumber, param, type PageCtx, type PageOut } from './page';
import { addressCell, cellTable, mapGrid, type MapCell } from './network-map';
import { networkV6Href, networkV6Page, parseNetworkV6 } from './network-v6';

const HINT = 'give an IPv4 network of /16 to /32, e.g. /networks/10.66.0.0/16 or /networks/10.66.1.0/24, or an IPv6 prefix such as /networks/fd00::/64';

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The network's first address and prefix length; its base is aligned (10.66.1.7/24 → 10.66.1.0/24). */
export function parseNetwork(text: string): { base: number; bits: number } {
  const m = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  const ip = m ? canonicalIp(m[1]) : null;
  const bits = m?.[2] === undefined ? 24 : Number(m[2]);
  if (!m || !ip || ip.includes(':') || bits < 16 || bits > 32) throw new HttpError(400, `'${text}' is not an IPv4 network the map can show`, HINT);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(toInt(ip) / size) * size, bits };
}

export const networkHref = (base: number, bits: number): string => `/networks/${toIp(base)}/${bits}`;

/** /networks?cidr=…: the network box. */
export async function networkJump(pc: PageCtx): Promise<PageOut> {
  const cidr = param(pc.url, 'cidr') ?? '';
  if (cidr.includes(':')) {
    const v6 = parseNetworkV6(cidr);
    return { answer: redirect(networkV6Href(v6.base, v6.bits)) };
  }
  const n = parseNetwork(cidr);
  return { answer: redirect(networkHref(n.base, n.bits)) };
}

type Cells = Map<number, { hosts: number; open: number }>;

/** One cell per address of a /24 or smaller. */
function addressCells(hosts: Array<{ ip: string; open_ports: number }>, base: number): Cells {
  return new Map(hosts.map((h) => [toInt(h.ip) - base, { hosts: 1, open: h.open_ports }]));
}

/** One cell per /24 of a wider network; a block's key is the /24's first 30 hex digits (its address's 24 high bits at the end). */
function blockCells(blocks: Array<{ block: string; hosts: number; open: number }>, base: number): Cells {
  return new Map(blocks.map((b) => [(parseInt(b.block.slice(24), 16) * 256 - base) / 256, { hosts: b.hosts, open: b.open }]));
}

export async function networkPage(pc: PageCtx, spec: string): Promise<PageOut> {
  if (spec.includes(':')) return networkV6Page(pc, spec);
  const { base, bits } = parseNetwork(spec);
  const size = 2 ** (32 - bits);
  const scope = readScope(pc.access, { networks: [{ lo: ipKey(toIp(base)), hi: ipKey(toIp(base + size - 1)) }] });
  const perAddress = size <= 256;
  const cells = perAddress ? addressCells(await hostsInRange(pc.db.knex, scope), base) : blockCells(await blocksInRange(pc.db.knex, scope), base);
  const known = [...cells.values()].reduce((a, c) => ({ hosts: a.hosts + c.hosts, open: a.open + c.open }), { hosts: 0, open: 0 });
  const count = perAddress ? size : size / 256;
  const grid: MapCell[] = [];
  for (let i = 0; i < count; i++) {
    const c = cells.get(i);
    const start = base + i * (perAddress ? 1 : 256);
    grid.push(perAddress ? addressCell(toIp(start), c) : { label: `${toIp(start)}/24`, target: networkHref(start, 24), hosts: c?.hosts ?? 0, open: c?.open ?? 0 });
  }
  const wider = bits > 16 ? html` · <a href="${networkHref(Math.floor(base / 65536) * 65536, 16)}">the /16 around it</a>` : '';
  const body = html`<p>${known.hosts} known host${known.hosts === 1 ? '' : 's'}, ${known.open} open ports now; one cell per ${perAddress ? 'address' : '/24'}, the number in it its open ports${wider}.</p>
${mapGrid(grid, perAddress)}
${cellTable(grid, networkHref(base, bits), pageNumber(pc.url))}`;
  return { title: `Network ${toIp(base)}/${bits}`, body };
}
