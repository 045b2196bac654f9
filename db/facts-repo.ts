// The SQL of service_changed and cert_changed: the staged fingerprints and certificates of a scan
// beside the stored ones (port_facts). Only scans that carry them (nmap -sV, --script ssl-cert)
// come here at all. First sightings are one INSERT … SELECT, unchanged ones are never read (a
// string comparison in SQL); the classifier walks only the rows that differ.
import type { Knex } from 'knex';
import type { Dialect, PagedQuery } from './dialects/types';
import type { Trx } from './ingest-repo';
import { insertMany } from './batch';
import { timer } from '../common/timing';

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

/** Staged facts that differ from the stored ones, with the stored ones and the port's verdict. */
export function factsDiffering(scanId: number, scannerId: number): PagedQuery<FactsRow & Record<string, unknown>> {
  const differs = `EXISTS (SELECT 1 FROM port_facts f WHERE f.scanner_id = :scanner AND f.ip_key = s.ip_key AND f.proto = s.proto AND f.port = s.port
                      AND ((s.service IS NOT NULL AND (f.service IS NULL OR f.service <> s.service))
                        OR (s.cert IS NOT NULL AND (f.cert IS NULL OR f.cert <> s.cert))))`;
  return {
    build: (after, limit) => `
      SELECT a.ip_key, h.ip, a.proto, a.port, a.service, a.cert, a.cert_not_after,
             f.service AS prev_service, f.cert AS prev_cert,
             f.service_seen AS prev_service_seen, f.cert_seen AS prev_cert_seen, f.cert_not_after AS prev_cert_not_after, p.reported
        FROM (${STAGED} AND ${differs} ${after.replace('$KEY', 's.ip_key, s.proto, s.port')}
               GROUP BY s.ip_key, s.proto, s.port ORDER BY s.ip_key, s.proto, s.port ${limit}) a
        JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = a.ip_key
        JOIN port_facts f ON f.scanner_id = :scanner AND f.ip_key = a.ip_key AND f.proto = a.proto AND f.port = a.port
        LEFT JOIN port_state p ON p.scanner_id = :scanner AND p.ip_key = a.ip_key AND p.proto = a.proto AND p.port = a.port
       ORDER BY a.ip_key, a.proto, a.port`,
    bindings: { scan: scanId, scanner: scannerId },
    key: ['ip_key', 'proto', 'port'],
  };
}

export const FACTS_COLS = ['service', 'service_seen', 'cert', 'cert_not_after', 'cert_seen'];

// The facts changes of one scan, decided by the classifier, applied in three set-based statements:
// joined to the port's change row of the scan where the port steps wrote one (a reopened port whose
// version changed: one row, 32|128), else a change row of their own; and the port's last change.
const DECISIONS = 'stage_fact_changes';
const DECISION_COLS = 'ip_key varchar(32) NOT NULL, proto varchar(8) NOT NULL, port integer NOT NULL, type integer NOT NULL, service text, previous_service text, cert text, previous_cert text';
const SAME_PORT = (t: string) => `${t}.ip_key = d.ip_key AND ${t}.proto = d.proto AND ${t}.port = d.port`;

export async function openDecisions(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  await dialect.dropTemp(trx, DECISIONS);
  await dialect.createTemp(trx, DECISIONS, DECISION_COLS);
}

export async function addDecisions(trx: Knex.Transaction, dialect: Dialect, rows: readonly object[]): Promise<void> {
  await insertMany(trx, dialect, DECISIONS, rows);
}

export async function applyDecisions(trx: Knex.Transaction, dialect: Dialect, p: { scanId: number; scannerId: number; at: number }): Promise<void> {
  const b = { scan: p.scanId, scanner: p.scannerId, at: p.at };
  const t = timer('facts changes');
  await trx.raw(`CREATE INDEX ${DECISIONS}_key ON ${DECISIONS} (ip_key, proto, port)`);
  await dialect.analyzeTemp(trx, DECISIONS);
  await trx.raw(
    `UPDATE changes SET type = changes.type | d.type, service = d.service, previous_service = d.previous_service, cert = d.cert, previous_cert = d.previous_cert
       FROM ${DECISIONS} d WHERE changes.scan_id = :scan AND ${SAME_PORT('changes')}`,
    b,
  );
  t.mark('joined');
  // `+c.scan_id`: SQLite would otherwise walk every change of the scan for each port through the
  // scan_id index; the few changes of one address, by ip_key, are the way in (the plus changes nothing on PostgreSQL)
  await trx.raw(
    `INSERT INTO changes (scanner_id, scan_id, ip_key, ip, proto, port, type, hostname, previous_hostname, "returning", detected_at, service, previous_service, cert, previous_cert)
     SELECT :scanner, :scan, d.ip_key, h.ip, d.proto, d.port, d.type, h.hostname, NULL, 0, :at, d.service, d.previous_service, d.cert, d.previous_cert
       FROM ${DECISIONS} d JOIN host_state h ON h.scanner_id = :scanner AND h.ip_key = d.ip_key
      WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE +c.scan_id = :scan AND ${SAME_PORT('c')})
      ORDER BY d.ip_key, d.proto, d.port`,
    b,
  );
  t.mark('inserted');
  // the port steps wrote this scan's last_change for every port seen open (0 when unchanged)
  await trx.raw(`UPDATE port_state SET last_change = port_state.last_change | d.type FROM ${DECISIONS} d WHERE port_state.scanner_id = :scanner AND ${SAME_PORT('port_state')}`, b);
  t.mark('port state');
  await dialect.dropTemp(trx, DECISIONS);
}
