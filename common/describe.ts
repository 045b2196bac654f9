// Changes in words a person reads at a glance ("port 8443/tcp newly open"); used by the CLI, the
// demo and the output agents alike.
import { ChangeType, SCANNER_EVENTS, type CertFacts, type ServiceFingerprint } from './types';
import { certWords, serviceChangeWords } from './service-facts';

export interface DescribableChange {
  proto: string | null;
  port: number | null;
  type: number;
  hostname: string | null;
  previous_hostname: string | null;
  returning: boolean;
  details?: Record<string, unknown> | null;
  service?: ServiceFingerprint | null;
  previous_service?: ServiceFingerprint | null;
  cert?: CertFacts | null;
  previous_cert?: CertFacts | null;
}

/** service_changed and cert_changed in words, after whatever else happened to the port. */
function describeFacts(c: DescribableChange, p: string, parts: string[]): void {
  const lead = parts.length ? '' : `${p} `;
  if (c.type & ChangeType.service_changed) parts.push(`${lead}service changed: ${serviceChangeWords(c.previous_service ?? null, c.service ?? null)}`);
  if (c.type & ChangeType.cert_changed) {
    parts.push(`${parts.length ? '' : `${p} `}TLS certificate changed: ${certWords(c.previous_cert ?? null)} → ${certWords(c.cert ?? null)}`);
  }
}

const pct = (share: unknown): string => `${Math.round(Number(share) * 1000) / 10}%`;
const held = (n: unknown, of: unknown, what: string, share: unknown): string => `${Number(n)} of ${Number(of)} ${what} (${pct(share)})`;

/** The scanner events (no address) in words, from their details. */
function describeScannerEvent(t: number, d: Record<string, unknown>): string {
  if (t & ChangeType.scanner_silent) {
    const last = d.last_scan_at ? `no applied complete scan since ${String(d.last_scan_at)}` : 'no applied complete scan yet';
    return `scanner silent since ${String(d.silent_since)}: ${last} (expected every ${String(d.expect_every)})`;
  }
  if (t & ChangeType.scanner_back) return `scanner back: a complete scan of ${String(d.scan_at)} ended the silence that began ${String(d.silent_since)}`;
  return `mass absence: this complete scan would have taken down ${held(d.held_hosts, d.up_hosts, 'up hosts', d.host_share)}`
    + ` and closed ${held(d.held_ports, d.open_ports, 'open ports', d.port_share)}, more than max_absence ${pct(d.max_absence)};`
    + ' these were held back (their streaks count), the next complete scan decides';
}

export function describeChange(c: DescribableChange): string {
  const t = c.type;
  const parts: string[] = [];
  if (t & SCANNER_EVENTS) return describeScannerEvent(t, c.details ?? {});
  if (c.port !== null) {
    const p = `port ${c.port}/${c.proto}`;
    if (t & ChangeType.port_reopened) parts.push(t & ChangeType.new_host ? `${p} open again (host is back)` : `${p} open again`);
    else if (t & ChangeType.new_port) {
      parts.push(t & ChangeType.new_host ? (c.returning ? `${p} newly open (host is back)` : `${p} open on a new host`) : `${p} newly open`);
    }
    else if (t & ChangeType.port_closed) parts.push(t & ChangeType.host_down ? `${p} gone with its host` : `${p} closed`);
    describeFacts(c, p, parts);
    return parts.join(', ');
  }
  if (t & ChangeType.new_host) parts.push(c.returning ? 'host is back' : 'new host');
  if (t & ChangeType.host_down) parts.push('host gone');
  if (t & ChangeType.dns_changed) {
    parts.push(`DNS name changed from ${c.previous_hostname ?? '(none)'} to ${c.hostname ?? '(none)'}`);
  }
  if (t & ChangeType.all_ports_answer) parts.push('answers on (nearly) every port: its ports are not reported one by one');
  return parts.join(', ');
}
