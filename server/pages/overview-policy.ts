// The Overview's "unexpected open ports now": the open ports the target-state policy does not
// expect, with their owners — the rows of `portdelta audit` (the Audit page has them all, filtered
// and paginated), within the reader's networks.
import { auditNow } from '../audit-memo';
import type { TargetPolicy } from '../../output-agents/policy';
import type { IpRange } from '../../common/types';
import { hostLink, href, html, portHref, type Html } from './html';
import type { PageCtx } from './page';

/** Rows shown on the Overview (the first by address); the Audit page lists every one. */
const SHOWN = 10;

export async function unexpectedNow(pc: PageCtx, policy: TargetPolicy | null, scope: { scanner?: string; networks?: IpRange[] }): Promise<Html> {
  if (!policy) return html`<p class="note">No target-state policy: set <code>policy:</code> in the server's config (docs/target-state.md) to see the open ports it does not expect.</p>`;
  const { totals: { checked, total, owners }, rows: violations } = await auditNow(pc.db.knex, policy, scope, { offset: 0, limit: SHOWN });
  if (total === 0) return html`<p class="note">none: the policy expects every open port (${checked} checked)</p>`;
  return html`<p><a href="/audit">${total} open port${total === 1 ? '' : 's'}</a> the policy does not expect, of ${checked} checked.
Per owner: ${owners.map(({ owner, n }, i) => html`${i ? ', ' : ''}${owner || 'no owner'} ${n}`)}.</p>
<table class="unexpected"><thead><tr><th>Host</th><th>Port</th><th>Hostname</th><th>Scanners</th><th>Reason</th><th>Owner</th></tr></thead><tbody>
${violations.map((v) => html`<tr><td>${hostLink(v.ip)}</td><td><a href="${portHref(v.proto, v.port)}">${v.port}/${v.proto}</a></td><td>${v.hostname ?? ''}</td><td>${v.scanners.join(', ')}</td><td>${v.reason}</td><td>${v.owner ?? ''}</td></tr>
`)}</tbody></table>
${total > SHOWN ? html`<p><a href="${href('/audit')}">all ${total} on the Audit page</a> (filter by scanner and network there)</p>` : ''}`;
}
