// The read behind `audit --cert-expiry`: certificates on ports some scanner reports open now whose
// validity ends before a moment (already expired ones included), soonest first.
import type { Knex } from 'knex';
import type { CertFacts, IpRange, Proto } from '../common/types';
import { parseCert } from '../common/service-facts';
import { iso, whereNetworks } from './query-repo';

export interface ExpiringCert {
  scanner: string;
  ip: string;
  proto: Proto;
  port: number;
  hostname: string | null;
  cert: CertFacts;
  /** When the scanner last saw this certificate. */
  seen_at: string | null;
}

export async function listExpiringCerts(knex: Knex, f: { beforeMs: number; scanner?: string; networks?: IpRange[] }): Promise<ExpiringCert[]> {
  const q = knex('port_facts as f')
    .join('port_state as p', (j) => j.on('p.scanner_id', 'f.scanner_id').andOn('p.ip_key', 'f.ip_key').andOn('p.proto', 'f.proto').andOn('p.port', 'f.port'))
    .join('scanners as s', 's.id', 'f.scanner_id')
    .leftJoin('host_state as h', (j) => j.on('h.scanner_id', 'f.scanner_id').andOn('h.ip_key', 'f.ip_key'))
    .where('p.reported', 'open')
    .whereNotNull('f.cert_not_after')
    .where('f.cert_not_after', '<', f.beforeMs)
    .select('s.name as scanner', 'f.ip', 'f.proto', 'f.port', 'h.hostname', 'f.cert', 'f.cert_seen')
    .orderBy([{ column: 'f.cert_not_after' }, { column: 'f.ip_key' }, { column: 'f.proto' }, { column: 'f.port' }, { column: 's.name' }]);
  if (f.scanner) q.where('s.name', f.scanner);
  whereNetworks(q, 'f.ip_key', f.networks);
  const rows: Array<Record<string, unknown>> = await q;
  return rows.map((r) => ({
    scanner: r.scanner as string,
    ip: r.ip as string,
    proto: r.proto as Proto,
    port: Number(r.port),
    hostname: (r.hostname as string) ?? null,
    cert: parseCert(r.cert)!,
    seen_at: iso(r.cert_seen as number | null),
  }));
}
