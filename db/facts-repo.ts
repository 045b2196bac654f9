// The SQL of service_changed and cert_changed: the staged fingerprints and certificates of a scan
// beside the stored ones (port_facts). Only scans that carry them (nmap -sV, --script ssl-cert)
// come here at all. First sightings are one INSERT … SELECT, unchanged ones are never read (a
// string comparison in SQL); the classifier walks only the rows that differ.
import type { PagedQuery } from './dialects/types';
import type { Trx } from './ingest-repo';

export interface FactsRow {
  ip_key: string;
  ip: string;
  proto: string;
  port: number;
  service: string | null;
  cert: string | null;
  cert_not_after: number | null;
  prev_service: string | null;
  prev_cert: string | null;
  prev_service_seen: number | null;
  prev_cert_seen: number | null;
  prev_cert_not_after: number | null;
  reported: string | null;
  hostname: string | null;
  /** The port's change row of this scan, if the port steps wrote one: a facts change joins it. */
  change_id: number | null;
  change_type: number | null;
}

/** Staged ports with facts on hosts the scan saw up (not answering on every port), grouped: one row per port. */
const STAGED = `SELECT s.ip_key, s.proto, s.port, MAX(s.service) AS service, MAX(s.cert) AS cert, MAX(s.cert_not_after) AS cert_not_after
                  FROM stage_port_facts s
                 WHERE EXISTS (SELECT 1 FROM host_state h WHERE h.scanner_id = :scanner AND h.ip_key = s.ip_key AND h.last_scan_id = :scan AND h.all_ports = 0)`;

/** Fingerprints and certificates of ports this scanner never had any for: stored as they are (no change can arise). */
export async function applyNewFacts(trx: Trx, p: { scanId: number; scannerId: number; at: number }): Promise<void> {
  await trx.raw(
    `INSERT INTO port_facts (scanner_id, ip_key, ip, proto, port, service, service_seen, cert, cert_not_after, cert_seen)
     SELECT :scanner, a.ip_key, h.ip, a.proto, a.port, a.service, CASE WHEN a.service IS NULL THEN NULL ELSE CAST(:at AS bigint) END,
            a.cert, a.cert_not_after, CASE WHEN a.cert IS NULL THEN NULL ELSE CAST(:at AS bigint) END
       FROM (${STAGED} GROUP BY s.ip_key, s.proto, s.port) a
       JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = a.ip_key
      WHERE NOT EXISTS (SELECT 1 FROM port_facts f WHERE f.scanner_id = :scanner AND f.ip_key = a.ip_key AND f.proto = a.proto AND f.port = a.port)`,
    { scan: p.scanId, scanner: p.scannerId, at: p.at },
  );
}

/** Staged facts that differ from the stored ones, with the port's verdict and this scan's change row for it. */
export function factsDiffering(scanId: number, scannerId: number): PagedQuery<FactsRow & Record<string, unknown>> {
  const differs = `EXISTS (SELECT 1 FROM port_facts f WHERE f.scanner_id = :scanner AND f.ip_key = s.ip_key AND f.proto = s.proto AND f.port = s.port
                      AND ((s.service IS NOT NULL AND (f.service IS NULL OR f.service <> s.service))
                        OR (s.cert IS NOT NULL AND (f.cert IS NULL OR f.cert <> s.cert))))`;
  return {
    build: (after, limit) => `
      SELECT a.ip_key, h.ip, a.proto, a.port, a.service, a.cert, a.cert_not_after,
             f.service AS prev_service, f.cert AS prev_cert,
             f.service_seen AS prev_service_seen, f.cert_seen AS prev_cert_seen, f.cert_not_after AS prev_cert_not_after, p.reported, h.hostname, c.id AS change_id, c.type AS change_type
        FROM (${STAGED} AND ${differs} ${after.replace('$KEY', 's.ip_key, s.proto, s.port')}
               GROUP BY s.ip_key, s.proto, s.port ORDER BY s.ip_key, s.proto, s.port ${limit}) a
        JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = a.ip_key
        JOIN port_facts f ON f.scanner_id = :scanner AND f.ip_key = a.ip_key AND f.proto = a.proto AND f.port = a.port
        LEFT JOIN port_state p ON p.scanner_id = :scanner AND p.ip_key = a.ip_key AND p.proto = a.proto AND p.port = a.port
        LEFT JOIN changes c ON c.scan_id = :scan AND c.ip_key = a.ip_key AND c.proto = a.proto AND c.port = a.port
       ORDER BY a.ip_key, a.proto, a.port`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key', 'proto', 'port'],
  };
}

export const FACTS_COLS = ['service', 'service_seen', 'cert', 'cert_not_after', 'cert_seen'];

/** A port's facts change joins the change row the port steps wrote for it in this scan (a reopened port whose version changed: one row, 32|128). */
export async function joinChange(trx: Trx, id: number, values: { type: number; service: string | null; previous_service: string | null; cert: string | null; previous_cert: string | null }): Promise<void> {
  await trx('changes').where({ id }).update(values);
}

/** The port's last change, with the facts' flags added. */
export async function markPortChange(trx: Trx, scannerId: number, key: { ip_key: string; proto: string; port: number }, type: number): Promise<void> {
  await trx('port_state').where({ scanner_id: scannerId, ip_key: key.ip_key, proto: key.proto, port: key.port }).update({ last_change: type });
}
