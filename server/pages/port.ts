// The Port page: the hosts with a port open now, since when, and seen by which scanners.
import { portHostsPage, type OpenPortRow } from '../../db/dashboard-repo';
import { PROTOS, type CertFacts, type Proto } from '../../common/types';
import { certColumn, serviceCell } from './port-facts';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { redirect } from '../web-redirect';
import { hostLink, html, pager, portHref, when, type Html } from './html';
import { PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';

const BAD = 'give a port such as 443, 443/tcp or udp/53';

function parsePort(text: string): { proto: Proto; port: number } {
  const m = /^(?:([a-z]+)\/)?(\d{1,5})(?:\/([a-z]+))?$/i.exec(text.trim());
  const proto = (m?.[1] ?? m?.[3] ?? 'tcp').toLowerCase() as Proto;
  if (!m || (m[1] && m[3]) || !PROTOS.includes(proto) || Number(m[2]) > 65535) throw new HttpError(400, `'${text}' is not a port`, BAD);
  return { proto, port: Number(m[2]) };
}

/** The form of `?scanner=`: only the hosts this scanner sees the port open on. */
const scannerFilter = (action: string, scanner: string | undefined): Html =>
  html`<form class="filters" method="get" action="${action}"><label>Seen by scanner <input name="scanner" value="${scanner ?? ''}" placeholder="scan-in"></label> <button type="submit">Filter</button></form>`;

/** /ports?port=…: the port box of every page. */
export async function portJump(pc: PageCtx): Promise<PageOut> {
  const p = parsePort(param(pc.url, 'port') ?? '');
  return { answer: redirect(portHref(p.proto, p.port)) };
}

interface HostOnPort {
  ip: string;
  hostname: string | null;
  service: string | null;
  /** The first scanner's certificate (scanners in row order); null when none has one. */
  cert: CertFacts | null;
  since: string;
  lastSeen: string;
  scanners: string[];
}

function byHost(rows: readonly OpenPortRow[]): HostOnPort[] {
  const out = new Map<string, HostOnPort>();
  for (const r of rows) {
    const h = out.get(r.ip);
    const service = serviceCell(r) || null;
    if (!h) out.set(r.ip, { ip: r.ip, hostname: r.hostname, service, cert: r.cert, since: r.first_seen, lastSeen: r.last_seen, scanners: [r.scanner] });
    else {
      h.hostname ??= r.hostname;
      h.service ??= service;
      h.cert ??= r.cert;
      if (r.first_seen < h.since) h.since = r.first_seen;
      if (r.last_seen > h.lastSeen) h.lastSeen = r.last_seen;
      h.scanners.push(r.scanner);
    }
  }
  return [...out.values()];
}

export async function portPage(pc: PageCtx, spec: string): Promise<PageOut> {
  const { proto, port } = parsePort(spec);
  const scanner = param(pc.url, 'scanner');
  const scope = readScope(pc.access, { scanner });
  const page = pageNumber(pc.url);
  // the count and one page of hosts in SQL, not every host's rows grouped here
  const { hosts: total, rows } = await portHostsPage(pc.db.knex, { ...scope, proto, port }, (page - 1) * PAGE_SIZE, PAGE_SIZE);
  const shown = byHost(rows);
  const cert = certColumn(shown);
  const body = html`<p>${total} host${total === 1 ? '' : 's'} with ${port}/${proto} open now${scanner ? html`, seen by ${scanner}` : ''}.
<a href="${`/changes?port=${port}`}">Changes of this port</a></p>
${scannerFilter(portHref(proto, port), scanner)}${shown.length === 0 ? html`<p class="note">no host has it open</p>` : html`<table class="port-hosts"><thead><tr><th>Host</th><th>Hostname</th><th>Service</th>${cert.th}<th>Open since</th><th>Last seen</th><th>Scanners</th></tr></thead><tbody>
${shown.map((h) => html`<tr><td>${hostLink(h.ip)}</td><td>${h.hostname ?? ''}</td><td>${h.service ?? ''}</td>${cert.td(h)}<td>${when(h.since)}</td><td>${when(h.lastSeen)}</td><td>${h.scanners.join(', ')}</td></tr>
`)}</tbody></table>`}
${pager(portHref(proto, port), { scanner }, page, total > page * PAGE_SIZE)}`;
  return { title: `Port ${port}/${proto}`, body };
}
