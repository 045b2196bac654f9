// What the Host and Port pages show of a port's service fingerprint and TLS certificate (nmap -sV,
// ssl-cert): the service in words, the certificate's subject, issuer and expiry. Everything here
// came from the network and goes through html`` (escaped).
import type { CertFacts, ServiceFingerprint } from '../../common/types';
import { serviceWords } from '../../common/service-facts';
import { html, type Html } from './html';

/** The probed fingerprint in words where there is one, else the service name the scan gave. */
export const serviceCell = (r: { service: string | null; fingerprint: ServiceFingerprint | null }): string =>
  r.fingerprint ? serviceWords(r.fingerprint) : (r.service ?? '');

function certCell(c: CertFacts | null, now = Date.now()): Html {
  if (!c) return html``;
  const expired = c.not_after !== null && Date.parse(c.not_after) <= now;
  const expiry = c.not_after ? c.not_after.slice(0, 10) : 'unknown';
  return html`${c.subject}<br><small>issued by ${c.issuer}; ${expired ? html`<b class="expired">expired ${expiry}</b>` : html`expires ${expiry}`}</small>`;
}

/** The certificate column's header and cells, only when some row has a certificate. */
export function certColumn<T extends { cert: CertFacts | null }>(rows: readonly T[]): { th: Html; td: (r: T) => Html } {
  if (!rows.some((r) => r.cert)) return { th: html``, td: () => html`` };
  return { th: html`<th>Certificate</th>`, td: (r) => html`<td class="cert">${certCell(r.cert)}</td>` };
}
