// masscan --banners writes a TLS server's certificate as an "X509" banner: the DER, base64. Read
// here into the same facts as nmap's ssl-cert script (nmap-ssl-cert.ts), so cert_changed works
// for masscan scanners too: fingerprints of the DER, subject and issuer as 'CN=…, O=…', validity
// in ISO time. Everything in it comes from the network: a banner that is not a certificate gives
// none, and names are capped.
import { createHash, X509Certificate } from 'node:crypto';
import type { CertFacts } from '../common/types';

/** masscan caps its banners well below this; a longer one is not read. */
const MAX_BASE64 = 64 * 1024;
const MAX_NAME = 500;

/** Node gives 'CN=x\nO=y'; nmap-ssl-cert.ts writes 'CN=x, O=y'. */
const names = (text: string): string => text.split('\n').filter(Boolean).join(', ').slice(0, MAX_NAME);

function iso(text: string): string | null {
  const t = Date.parse(text);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** The certificate of an X509 banner, or null when the banner is not one. */
export function certFromBanner(base64: string): CertFacts | null {
  if (base64.length > MAX_BASE64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const der = Buffer.from(base64, 'base64');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return null;
  }
  return {
    sha256: createHash('sha256').update(der).digest('hex'),
    sha1: createHash('sha1').update(der).digest('hex'),
    subject: names(cert.subject),
    issuer: names(cert.issuer),
    not_before: iso(cert.validFrom),
    not_after: iso(cert.validTo),
  };
}
