// The Host page: per scanner the host's status and its open ports now (service, first and last
// seen), its hostname history, and the timeline of its changes (newest first, paginated).
import { listChanges, listHosts } from '../../db/query-repo';
import { openPortsWithService } from '../../db/dashboard-repo';
import { listDisagreements } from '../../db/disagreement-repo';
import { listedGroups } from '../../common/scanner-groups';
import { canonicalIp, ipKey } from '../../common/ip';
import { ChangeType } from '../../common/types';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { redirect } from '../web-redirect';
import { hostHref, href, html, pager, portHref, when, type Html } from './html';
import { changeRows } from './changes';
import { certColumn, serviceCell } from './port-facts';
import { who } from './disagreements';
import { networkHref, parseNetwork } from './network';
import { networkV6Href, parseNetworkV6 } from './network-v6';
import { PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';

/** A link to the map of the network around the host: its /24, or its IPv6 /64. */
function aroundHost(ip: string): Html {
  if (!ip.includes(':')) return html`<a href="${networkHref(parseNetwork(`${ip}/24`).base, 24)}">its /24</a>`;
  const v6 = parseNetworkV6(`${ip}/64`);
  return html`<a href="${networkV6Href(v6.base, 64)}">its /64</a>`;
}

/** /hosts?ip=…: the host box of every page. */
export async function hostJump(pc: PageCtx): Promise<PageOut> {
  const raw = param(pc.url, 'ip');
  const ip = raw === undefined ? null : canonicalIp(raw);
  if (!ip) throw new HttpError(400, `'${raw ?? ''}' is not an IP address`, 'give an address such as 10.66.1.10 or fd00::1');
  return { answer: redirect(hostHref(ip)) };
}

export async function hostPage(pc: PageCtx, raw: string): Promise<PageOut> {
  const ip = canonicalIp(raw);
  if (!ip) throw new HttpError(400, `'${raw}' is not an IP address`, 'use /hosts/10.66.1.10 or /hosts/fd00::1');
  const key = ipKey(ip);
  const scope = readScope(pc.access, { networks: [{ lo: key, hi: key }] });
  const hosts = await listHosts(pc.db.knex, scope);
  if (hosts.length === 0) throw new HttpError(404, `no scanner knows host ${ip}`, 'check the address; the Changes page lists the hosts that changed');
  const ports = await openPortsWithService(pc.db.knex, scope);
  const cert = certColumn(ports);
  const page = pageNumber(pc.url);
  const changes = await listChanges(pc.db.knex, { ...scope, newestFirst: true, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
  const names = (await listChanges(pc.db.knex, { ...scope, typeMask: ChangeType.dns_changed | ChangeType.new_host }))
    .filter((c) => c.port === null && (c.hostname || c.previous_hostname));
  const disagreements = await listDisagreements(pc.db.knex, { networks: scope.networks, listed: listedGroups(pc.config) });
  const body = html`<p>In ${aroundHost(ip)} · <a href="${href('/changes', { network: ip })}">its changes, filtered</a></p>
<h2>Per scanner</h2>
<table><thead><tr><th>Scanner</th><th>Status</th><th>Hostname</th><th>MAC</th><th class="num">Open ports</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>
${hosts.map((h) => html`<tr><td>${h.scanner}</td><td>${h.status}</td><td>${h.hostname ?? ''}</td><td>${h.mac ?? ''}</td><td class="num">${h.open_ports}</td><td>${when(h.first_seen)}</td><td>${when(h.last_seen)}</td></tr>
`)}</tbody></table>
<h2>Open ports now</h2>
${ports.length === 0 ? html`<p class="note">no open ports</p>` : html`<table><thead><tr><th>Scanner</th><th>Port</th><th>Service</th>${cert.th}<th>First seen</th><th>Last seen</th></tr></thead><tbody>
${ports.map((p) => html`<tr><td>${p.scanner}</td><td><a href="${portHref(p.proto, p.port)}">${p.port}/${p.proto}</a></td><td>${serviceCell(p)}</td>${cert.td(p)}<td>${when(p.first_seen)}</td><td>${when(p.last_seen)}</td></tr>
`)}</tbody></table>`}
<h2>Where the scanners of a group disagree</h2>
${disagreements.length === 0 ? html`<p class="note">nowhere</p>` : html`<table class="disagreements"><thead><tr><th>Group</th><th>Port</th><th>Open (last seen)</th><th>Not open (complete scan)</th></tr></thead><tbody>
${disagreements.map((d) => html`<tr><td>${d.group}</td><td><a href="${portHref(d.proto, d.port)}">${d.port}/${d.proto}</a></td><td>${who(d.views, 'open')}</td><td>${who(d.views, 'not open')}</td></tr>
`)}</tbody></table>`}
<h2>Hostname history</h2>
${names.length === 0 ? html`<p class="note">no hostname recorded</p>` : html`<table><thead><tr><th>Detected</th><th>Scanner</th><th>Before</th><th>After</th></tr></thead><tbody>
${names.map((c) => html`<tr><td>${when(c.detected_at)}</td><td>${c.scanner}</td><td>${c.previous_hostname ?? ''}</td><td>${c.hostname ?? ''}</td></tr>
`)}</tbody></table>`}
<h2>Timeline</h2>
${changeRows(changes.slice(0, PAGE_SIZE))}
${pager(hostHref(ip), {}, page, changes.length > PAGE_SIZE)}`;
  return { title: `Host ${ip}`, body };
}
