// The address-space map both network pages draw (network.ts for IPv4, network-v6.ts for IPv6): a
// grid of at most 256 cells coloured by open ports now, each linking to its host or its block, and
// beside it the table of the cells something is known in (the map's numbers, for reading).
import { hostHref, html, pager, type Html } from './html';
import { PAGE_SIZE } from './page';

export interface MapCell {
  /** An address, or a block as a CIDR. */
  label: string;
  /** Where the cell links to; null: an address nothing is known of (no link). */
  target: string | null;
  /** Known hosts in it (up by some scanner, or with an open port) and their distinct open ports now. */
  hosts: number;
  open: number;
}

/** Colour class by open ports: heat0 (known, none open) to heat5 (50 and more). */
function heat(open: number): string {
  return `heat${open === 0 ? 0 : open < 3 ? 1 : open < 10 ? 2 : open < 25 ? 3 : open < 50 ? 4 : 5}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function cellHtml(c: MapCell): Html {
  const title = c.hosts > 0 ? `${c.label}: ${plural(c.hosts, 'host')}, ${plural(c.open, 'open port')}` : `${c.label}: nothing known`;
  if (c.target === null) return html`<span class="cell empty" title="${title}"></span>`;
  return html`<a class="cell ${c.hosts > 0 ? heat(c.open) : 'empty'}" href="${c.target}" title="${title}">${c.hosts > 0 ? c.open : ''}</a>`;
}

export function mapGrid(cells: readonly MapCell[], perAddress: boolean): Html {
  return html`<div class="netmap ${perAddress ? 'per-address' : 'per-block'}">${cells.map(cellHtml)}</div>
<p class="legend"><span class="cell empty"></span> nothing known <span class="cell heat0"></span> up, none open <span class="cell heat1"></span> 1–2 <span class="cell heat2"></span> 3–9 <span class="cell heat3"></span> 10–24 <span class="cell heat4"></span> 25–49 <span class="cell heat5"></span> 50+</p>`;
}

/** The cells something is known in, a page at a time (?page=), as a table beside the map. */
export function cellTable(cells: readonly MapCell[], path: string, page: number): Html {
  const known = cells.filter((c) => c.hosts > 0);
  if (known.length === 0) return html`<p class="note">no known host in this network</p>`;
  const shown = known.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return html`<table class="netmap-cells"><thead><tr><th>Cell</th><th class="num">Hosts</th><th class="num">Open ports</th></tr></thead><tbody>
${shown.map((c) => html`<tr><td>${c.target ? html`<a href="${c.target}">${c.label}</a>` : c.label}</td><td class="num">${c.hosts}</td><td class="num">${c.open}</td></tr>
`)}</tbody></table>
${pager(path, {}, page, known.length > page * PAGE_SIZE)}`;
}

/** A cell of one address: it links to its host page when the host is known. */
export const addressCell = (ip: string, known: { hosts: number; open: number } | undefined): MapCell =>
  ({ label: ip, target: known ? hostHref(ip) : null, hosts: known?.hosts ?? 0, open: known?.open ?? 0 });
