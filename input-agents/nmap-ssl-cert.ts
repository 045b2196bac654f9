// nmap's ssl-cert script in XML (<script id="ssl-cert">): the certificate's subject, issuer,
// validity and fingerprints from its <table>/<elem> structure. nmap 7.93 writes MD5 and SHA-1
// only; the SHA-256 is then computed from the PEM it also writes, so one fingerprint identifies a
// certificate whichever nmap made the file.
import { createHash } from 'node:crypto';
import type { CertFacts } from '../common/types';

// Text from the network: capped, so a hostile certificate cannot make a row of megabytes.
const MAX_NAME = 500;
const MAX_PEM = 64 * 1024;

/** RFC 4514's short names for the attributes certificates mostly carry; others keep nmap's name. */
const SHORT: Readonly<Record<string, string>> = {
  commonName: 'CN', organizationName: 'O', organizationalUnitName: 'OU', countryName: 'C',
  stateOrProvinceName: 'ST', localityName: 'L', emailAddress: 'emailAddress',
};

/** nmap writes the validity as '2026-12-09T01:43:29' (UTC, no zone); later versions may add one. */
function utc(text: string | undefined): string | null {
  if (!text || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?/.test(text)) return null;
  const t = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

const hex = (text: string | undefined): string | null => {
  const h = (text ?? '').replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{40,64}$/.test(h) ? h : null;
};

function pemSha256(pem: string): string | null {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return null;
  const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  return der.length === 0 ? null : createHash('sha256').update(der).digest('hex');
}

/** Collects one <script id="ssl-cert"> element's tables and elems; `result()` at its end. */
export class SslCertReader {
  private readonly tables: string[] = [];
  private elemKey: string | null = null;
  private text = '';
  private readonly names: Record<'subject' | 'issuer', string[]> = { subject: [], issuer: [] };
  private readonly top = new Map<string, string>();

  openTable(key: string | undefined): void {
    this.tables.push(key ?? '');
  }

  closeTable(): void {
    this.tables.pop();
  }

  /** An <elem>: its text is wanted (the caller switches the tokenizer's text capture on). */
  openElem(key: string | undefined): void {
    this.elemKey = key ?? '';
    this.text = '';
  }

  addText(t: string): void {
    if (this.elemKey !== null && this.text.length < MAX_PEM) this.text += t;
  }

  closeElem(): void {
    const key = this.elemKey;
    this.elemKey = null;
    if (key === null) return;
    const where = this.tables.join('/');
    if (where === 'subject' || where === 'issuer') {
      const part = `${SHORT[key] ?? key}=${this.text}`;
      if (this.names[where].join(', ').length + part.length < MAX_NAME) this.names[where].push(part);
    } else if (where === '' || where === 'validity') {
      this.top.set(where === '' ? key : `validity/${key}`, this.text);
    }
  }

  /** The certificate, or null when the script gave no fingerprint (an error message, a cut record). */
  result(): CertFacts | null {
    const sha256 = hex(this.top.get('sha256')) ?? pemSha256(this.top.get('pem') ?? '');
    const sha1 = hex(this.top.get('sha1'));
    if (!sha256 && !sha1) return null;
    return {
      sha256, sha1,
      subject: this.names.subject.join(', '),
      issuer: this.names.issuer.join(', '),
      not_before: utc(this.top.get('validity/notBefore')),
      not_after: utc(this.top.get('validity/notAfter')),
    };
  }
}
