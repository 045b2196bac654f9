// Service fingerprints and TLS certificates as stored, compared and shown. They are kept as
// canonical JSON text (fixed key order), so that "the same as last time" is one string comparison
// in SQL and the classifier only sees the rows that differ.
import type { CertFacts, ServiceFingerprint } from './types';

/** The parts of a fingerprint service_changed compares (the method only says whether to compare). */
const SERVICE_KEYS = ['name', 'product', 'version', 'extrainfo', 'tunnel'] as const;
const CERT_KEYS = ['sha256', 'sha1', 'subject', 'issuer', 'not_before', 'not_after'] as const;

/** The stored form of a probed fingerprint (without its method: only probed ones are stored). */
export function serviceText(f: ServiceFingerprint): string {
  return JSON.stringify(Object.fromEntries(SERVICE_KEYS.map((k) => [k, f[k] ?? null])));
}

export function certText(c: CertFacts): string {
  return JSON.stringify(Object.fromEntries(CERT_KEYS.map((k) => [k, c[k] ?? null])));
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A stored fingerprint back as data (method 'probed': nothing else is stored); null for none or unreadable text. */
export function parseService(text: unknown): ServiceFingerprint | null {
  if (typeof text !== 'string' || text === '') return null;
  const o = JSON.parse(text) as Record<string, unknown>;
  return { name: str(o.name), product: str(o.product), version: str(o.version), extrainfo: str(o.extrainfo), tunnel: str(o.tunnel), method: 'probed' };
}

export function parseCert(text: unknown): CertFacts | null {
  if (typeof text !== 'string' || text === '') return null;
  const o = JSON.parse(text) as Record<string, unknown>;
  return { sha256: str(o.sha256), sha1: str(o.sha1), subject: str(o.subject) ?? '', issuer: str(o.issuer) ?? '', not_before: str(o.not_before), not_after: str(o.not_after) };
}

/** Whether two fingerprints describe the same service (name, product, version, extra info, tunnel). */
export const sameService = (a: ServiceFingerprint, b: ServiceFingerprint): boolean => SERVICE_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));

/**
 * Whether two certificates differ, judged by the strongest fingerprint both carry (SHA-256, else
 * SHA-1); null when they share none, which proves nothing either way.
 */
export function certDiffers(a: CertFacts, b: CertFacts): boolean | null {
  if (a.sha256 && b.sha256) return a.sha256 !== b.sha256;
  if (a.sha1 && b.sha1) return a.sha1 !== b.sha1;
  return null;
}

/** 'OpenSSH 8.9p1', 'Apache httpd 2.4.58', else the service name ('ssl/http'): what a person reads first. */
function shortWords(f: ServiceFingerprint): string {
  const product = [f.product, f.version].filter(Boolean).join(' ');
  return product || (f.tunnel ? `${f.tunnel}/${f.name ?? 'unknown'}` : (f.name ?? 'unknown'));
}

/** The short words, with the tunnel and extra info: every part service_changed compares. */
export function serviceWords(f: ServiceFingerprint | null): string {
  if (!f) return '(none)';
  const extra = [f.tunnel && f.product ? `over ${f.tunnel}` : null, f.extrainfo].filter(Boolean).join('; ');
  return extra ? `${shortWords(f)} (${extra})` : shortWords(f);
}

/** 'OpenSSH 8.9p1 → OpenSSH 9.6p1'; the longer words only when the short ones do not show the difference. */
export function serviceChangeWords(before: ServiceFingerprint | null, after: ServiceFingerprint | null): string {
  const short = before && after && shortWords(before) !== shortWords(after);
  return short ? `${shortWords(before)} → ${shortWords(after)}` : `${serviceWords(before)} → ${serviceWords(after)}`;
}

/** The day part of an ISO time, or '?' for none. */
const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : '?');

/** 'CN=www.example.org, expires 2027-03-01 (sha256 3f2a…9c01)'. */
export function certWords(c: CertFacts | null): string {
  if (!c) return '(none)';
  const fp = c.sha256 ? `sha256 ${c.sha256.slice(0, 8)}…` : c.sha1 ? `sha1 ${c.sha1.slice(0, 8)}…` : 'no fingerprint';
  return `${c.subject || '(no subject)'}, expires ${day(c.not_after)} (${fp})`;
}
