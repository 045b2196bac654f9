// The Audit page: the open ports now that break the target-state policy, with their owners: the
// rows of `portdelta audit --json` (the policy named by `policy:` in serve's config), within the
// reader's networks and filtered by `scanner` and `network`.
import { auditNow } from '../audit-memo';
import { networksOption } from '../../common/query-options';
import { readScope } from '../read-scope';
import { hostLink, html, pager, portHref } from './html';
import { PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';
import type { TargetPolicy } from '../../output-agents/policy';

export async function auditPage(pc: PageCtx, policy: { file: string; policy: TargetPolicy } | null): Promise<PageOut> {
  if (!policy) return { title: 'Audit', body: html`<p class="note">No target-state policy: set <code>policy:</code> in the server's config (docs/target-state.md) and restart <code>serve</code>.</p>` };
  const scanner = param(pc.url, 'scanner');
  const network = param(pc.url, 'network');
  const scope = readScope(pc.access, { scanner, networks: networksOption(network?.split(/[\s,]+/).filter(Boolean), 'network') });
  const page = pageNumber(pc.url);
  // only this page's violations are kept; `total` counts them all
  const { totals: { total, checked, uncovered }, rows: shown } = await auditNow(pc.db.knex, policy.policy, scope, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
  const body = html`<form class="filters" method="get" action="/audit">
<label>Scanner <input name="scanner" value="${scanner ?? ''}" placeholder="scan-in"></label>
<label>Network <input name="network" value="${network ?? ''}" placeholder="10.66.1.0/24"></label>
<button type="submit">Filter</button></form>
<p>${total} open port${total === 1 ? '' : 's'} break the policy; ${checked} checked, ${uncovered} on addresses no rule covers.</p>
${total === 0 ? '' : html`<table class="audit"><thead><tr><th>Host</th><th>Port</th><th>Hostname</th><th>Scanners</th><th>Reason</th><th>Rule</th><th>Owner</th><th>Note</th></tr></thead><tbody>
${shown.map((v) => html`<tr><td>${hostLink(v.ip)}</td><td><a href="${portHref(v.proto, v.port)}">${v.port}/${v.proto}</a></td><td>${v.hostname ?? ''}</td><td>${v.scanners.join(', ')}</td><td>${v.reason}</td><td>${v.rule ?? ''}</td><td>${v.owner ?? ''}</td><td>${v.note ?? ''}</td></tr>
`)}</tbody></table>`}
${pager('/audit', { scanner, network }, page, total > page * PAGE_SIZE)}`;
  return { title: 'Audit', body };
}
