// The Network page: an IPv4 CIDR given in the URL (/networks/10.66.0.0/16) as an address-space map,
// one cell per address for a /24 or smaller, one cell per /24 for a /17 to a /16, coloured by the
// open ports now; each cell links to its host or its /24. Only the reader's networks are counted.
import { hostsInRange } from '../../db/dashboard-repo';
import { canonicalIp, ipKey } from '../../common/ip';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { redirect } from '../web-redirect';
import { hostHref, html, type Html } from './html';
import { param, type PageCtx, type PageOut } from './page';

const HINT = 'give an IPv4 network of /16 to /32, e.g. /networks/10.66.0.0/16 or /networks/10.66.1.0/24';

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
  const n = parseNetwork(param(pc.url, 'cidr') ?? '');
  return { answer: redirect(networkHref(n.base, n.bits)) };
}

/** Colour class by open ports: heat0 (known, none open) to heat5 (50 and more). */
function heat(open: number): string {
  return `heat${open === 0 ? 0 : open < 3 ? 1 : open < 10 ? 2 : open < 25 ? 3 : open < 50 ? 4 : 5}`;
}

export async function networkPage(pc: PageCtx, spec: string): Promise<PageOut> {
  const { base, bits } = parseNetwork(spec);
  const size = 2 ** (32 - bits);
  const scope = readScope(pc.access, { networks: [{ lo: ipKey(toIp(base)), hi: ipKey(toIp(base + size - 1)) }] });
  const hosts = await hostsInRange(pc.db.knex, scope);
  const perAddress = size <= 256;
  const cellOf = (ip: string) => (perAddress ? toInt(ip) - base : Math.floor((toInt(ip) - base) / 256));
  const cells = new Map<number, { hosts: number; open: number }>();
  for (const h of hosts) {
    const c = cells.get(cellOf(h.ip)) ?? { hosts: 0, open: 0 };
    c.hosts += 1;
    c.open += h.open_ports;
    cells.set(cellOf(h.ip), c);
  }
  const count = perAddress ? size : size / 256;
  const grid: Html[] = [];
  for (let i = 0; i < count; i++) {
    const c = cells.get(i);
    const start = base + i * (perAddress ? 1 : 256);
    const label = perAddress ? toIp(start) : `${toIp(start)}/24`;
    const title = c ? `${label}: ${c.hosts} host${c.hosts === 1 ? '' : 's'}, ${c.open} open port${c.open === 1 ? '' : 's'}` : `${label}: nothing known`;
    const target = perAddress ? hostHref(toIp(start)) : networkHref(start, 24);
    grid.push(c || !perAddress ? html`<a class="cell ${c ? heat(c.open) : 'empty'}" href="${target}" title="${title}">${c ? c.open : ''}</a>` : html`<span class="cell empty" title="${title}"></span>`);
  }
  const wider = bits > 16 ? html` · <a href="${networkHref(Math.floor(base / 65536) * 65536, 16)}">the /16 around it</a>` : '';
  const body = html`<p>${hosts.length} known host${hosts.length === 1 ? '' : 's'}, ${hosts.reduce((n, h) => n + h.open_ports, 0)} open ports now; one cell per ${perAddress ? 'address' : '/24'}, the number in it its open ports${wider}.</p>
<div class="netmap ${perAddress ? 'per-address' : 'per-block'}">${grid}</div>
<p class="legend"><span class="cell empty"></span> nothing known <span class="cell heat0"></span> up, none open <span class="cell heat1"></span> 1–2 <span class="cell heat2"></span> 3–9 <span class="cell heat3"></span> 10–24 <span class="cell heat4"></span> 25–49 <span class="cell heat5"></span> 50+</p>`;
  return { title: `Network ${toIp(base)}/${bits}`, body };
}
