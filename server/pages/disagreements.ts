// The Disagreements page: per scanner group, the ports some members report open and others, with
// the port in scope of a complete scan, do not: the rows of `portdelta disagreements --json`,
// narrowed to the reader's networks.
import { listDisagreements, scannerGroups } from '../../db/disagreement-repo';
import { listedGroups } from '../../common/scanner-groups';
import { networksOption } from '../../common/query-options';
import type { DisagreementView, FamilyDisagreement, IpRange } from '../../common/types';
import { listFamilyDisagreements } from '../../db/family-disagreement-repo';
import { readScope } from '../read-scope';
import { hostLink, html, pager, portHref, when, type Html } from './html';
import { PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';

/** The members that see the port `view` (open / not open), with the time of the scan that says so. */
export const who = (views: DisagreementView[], view: DisagreementView['view']): string =>
  views.filter((v) => v.view === view).map((v) => `${v.scanner} ${when(v.scan_time)}`).join(', ');

/**
 * Dual-stack disagreements (`disagreements --family`). Under a network filter or a network-bound
 * token both addresses must be inside: the other family's address is not the reader's to see otherwise.
 */
async function familySection(pc: PageCtx, networks: IpRange[] | undefined): Promise<Html> {
  const rows = await listFamilyDisagreements(pc.db.knex, { pairs: pc.config.dual_stack, networks, both: true });
  const cell = (d: FamilyDisagreement, i: number) => html`<td>${hostLink(d.views[i].ip)}</td><td>${d.views[i].view} ${when(d.views[i].scan_time)}</td>`;
  return html`<h2>IPv4 and IPv6 disagree</h2>
${rows.length === 0 ? html`<p class="note">no dual-stack disagreements (hosts linked by one PTR name or by dual_stack in the config)</p>` : html`<table class="family-disagreements"><thead><tr><th>Scanner</th><th>Hostname</th><th>Port</th><th>IPv4</th><th>IPv4 view</th><th>IPv6</th><th>IPv6 view</th><th>Linked by</th></tr></thead><tbody>
${rows.map((d) => html`<tr><td>${d.scanner}</td><td>${d.hostname ?? ''}</td><td><a href="${portHref(d.proto, d.port)}">${d.port}/${d.proto}</a></td>${cell(d, 0)}${cell(d, 1)}<td>${d.linked_by}</td></tr>
`)}</tbody></table>`}`;
}

export async function disagreementsPage(pc: PageCtx): Promise<PageOut> {
  const group = param(pc.url, 'group');
  const network = param(pc.url, 'network');
  const listed = listedGroups(pc.config);
  const scope = readScope(pc.access, { networks: networksOption(network?.split(/[\s,]+/).filter(Boolean), 'network') });
  const groups = await scannerGroups(pc.db.knex, listed);
  const rows = await listDisagreements(pc.db.knex, { group, networks: scope.networks, listed });
  const page = pageNumber(pc.url);
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const body = html`<form class="filters" method="get" action="/disagreements">
<label>Group <select name="group"><option value="">every group</option>${[...groups.keys()].map((g) => html`<option value="${g}"${g === group ? html` selected` : ''}>${g}</option>`)}</select></label>
<label>Network <input name="network" value="${network ?? ''}" placeholder="10.66.1.0/24"></label>
<button type="submit">Filter</button></form>
${groups.size === 0 ? html`<p class="note">no scanner groups: set scanners.NAME.group in the config to compare scanners</p>` : ''}
<ul>${[...groups].map(([g, m]) => html`<li>group ${g}: ${m.map((x) => x.name).join(', ')}${m.length < 2 ? ' (one member, nothing to compare)' : ''}</li>`)}</ul>
${rows.length === 0 ? html`<p class="note">no disagreements</p>` : html`<table class="disagreements"><thead><tr><th>Group</th><th>Host</th><th>Port</th><th>Hostname</th><th>Open (last seen)</th><th>Not open (complete scan)</th></tr></thead><tbody>
${shown.map((d) => html`<tr><td>${d.group}</td><td>${hostLink(d.ip)}</td><td><a href="${portHref(d.proto, d.port)}">${d.port}/${d.proto}</a></td><td>${d.hostname ?? ''}</td><td>${who(d.views, 'open')}</td><td>${who(d.views, 'not open')}</td></tr>
`)}</tbody></table>`}
${pager('/disagreements', { group, network }, page, rows.length > page * PAGE_SIZE)}
${await familySection(pc, scope.networks)}`;
  return { title: 'Disagreements', body };
}
