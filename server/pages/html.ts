// HTML for the dashboard: every value goes through one escaping helper. The `html` tag escapes each
// interpolated value unless it is already Html (made by this tag), so a hostname, a service or a
// scanner name from a scan file is always text, never markup.
import { safeText } from '../../common/safe-text';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value (quoted); control characters shown as escapes (safe-text.ts). */
function esc(v: unknown): string {
  return safeText(String(v ?? '')).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1];
  });
  return new Html(out);
}

/** A path with a query string made of the non-empty `params`. */
export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const hostHref = (ip: string): string => `/hosts/${encodeURIComponent(ip)}`;
export const portHref = (proto: string, port: number): string => `/ports/${encodeURIComponent(proto)}/${port}`;
/** The Changes page filtered to one scan's changes (`changes --scan-id`). */
export const scanChangesHref = (scanId: number): string => href('/changes', { scan: scanId });

/** A link to a host page, or a dash for a scanner event. */
export function hostLink(ip: string | null): Html {
  return ip === null ? html`-` : html`<a href="${hostHref(ip)}">${ip}</a>`;
}

/** "2026-11-20 02:13" from an ISO time; a dash for none. */
export function when(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '-';
}

export interface PageInfo {
  title: string;
  /** The label of the token the page is shown to (not the token). */
  who: string;
  /** The networks the token is bound to, shown on every page; null: every network. */
  bound: string | null;
  body: Html;
}

const NAV: ReadonlyArray<[string, string]> = [['/', 'Overview'], ['/changes', 'Changes'], ['/disagreements', 'Disagreements'], ['/audit', 'Audit'], ['/scanners', 'Scanners']];

/** A whole page: no inline script or style anywhere (the Content-Security-Policy forbids them). */
export function layout(p: PageInfo): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · portdelta</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css"><link rel="stylesheet" href="/assets/uPlot.min.css">
<script src="/assets/uPlot.iife.min.js" defer></script><script src="/assets/dashboard.js" defer></script>
</head><body>
<header><nav><strong>portdelta</strong> ${NAV.map(([h, t]) => html`<a href="${h}">${t}</a> `)}
<form class="port-jump" method="get" action="/ports"><label>Port <input name="port" size="6" placeholder="443"></label></form>
<form class="host-jump" method="get" action="/hosts"><label>Host <input name="ip" size="15" placeholder="10.0.0.1"></label></form>
<form class="network-jump" method="get" action="/networks"><label>Network <input name="cidr" size="16" placeholder="10.66.0.0/16"></label></form></nav>
<form class="logout" method="post" action="/logout"><span>${p.who}${p.bound ? html` · networks ${p.bound}` : ''}</span> <button type="submit">Log out</button></form>
</header>
<main><h1>${p.title}</h1>
${p.body}
</main></body></html>
`.text;
}

/** Previous/next links for a list of `size` rows per page; `more`: a next page exists. */
export function pager(path: string, params: Record<string, string | undefined>, page: number, more: boolean): Html {
  const prev = page > 1 ? html`<a rel="prev" href="${href(path, { ...params, page: page - 1 })}">← newer</a>` : '';
  const next = more ? html`<a rel="next" href="${href(path, { ...params, page: page + 1 })}">older →</a>` : '';
  return html`<p class="pager">${prev} <span>page ${page}</span> ${next}</p>`;
}
