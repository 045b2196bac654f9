// "Seen by scan N" once per scan instead of once per row. Until now every ingest rewrote every
// host and open port a scan saw, changed or not (last_seen, last_scan_id, the streaks): on a /12
// that was a million row updates a night for 3 % of changes. Now a host the scan saw exactly as
// the last time is not written at all; the scanner row says which scan it last applied, and a
// host row says whether it has been seen by every scan since it was last written (live_seq).
//
// - scanners.seen_seq counts the scanner's applied scans; seen_scan_id and seen_at are the newest
//   one and its time.
// - host_state.live_seq: the scanner's seen_seq when the row was last written, while every scan of
//   the scanner since has seen the host unchanged; NULL once a scan did not see it (the stored
//   last_seen, last_scan_id and streaks are then final). digest: what the host looked like in the
//   scan that last wrote it (delta-reporter/host-digest.ts), kept only while nothing about it is
//   pending (no streak under way), so that the next scan may skip it when it looks the same.
// - host_now and port_now show the state as the old layout stored it, derived where it is no
//   longer stored; everything that reads the state reads these views (docs/architecture.md).
//
// Existing rows get live_seq NULL: what they store is exact, and the next scan writes them again.
import type { Knex } from 'knex';

/** A row seen by every scan of its scanner since it was written (for port_now: with its host). */
const LIVE_HOST = 'h.live_seq IS NOT NULL';
const SKIPPED_HOST = 'h.live_seq < sc.seen_seq';
const LIVE_PORT = `${LIVE_HOST} AND p.last_scan_id = h.last_scan_id AND p.reported = 'open'`;

const HOST_NOW = `
  SELECT h.scanner_id, h.ip_key, h.ip, h.status, h.hostname, h.names_known, h.mac, h.first_seen,
         CASE WHEN ${LIVE_HOST} THEN sc.seen_at ELSE h.last_seen END AS last_seen,
         h.miss_streak, h.ever_down, h.all_ports,
         CASE WHEN ${SKIPPED_HOST} THEN 0 ELSE h.last_change END AS last_change,
         CASE WHEN ${LIVE_HOST} THEN sc.seen_scan_id ELSE h.last_scan_id END AS last_scan_id,
         CASE WHEN ${SKIPPED_HOST} THEN sc.seen_scan_id ELSE h.change_scan_id END AS change_scan_id
    FROM host_state h JOIN scanners sc ON sc.id = h.scanner_id`;

const PORT_NOW = `
  SELECT p.scanner_id, p.ip_key, p.ip, p.proto, p.port, p.reported,
         p.open_streak + CASE WHEN ${LIVE_PORT} THEN sc.seen_seq - h.live_seq ELSE 0 END AS open_streak,
         p.miss_streak, p.service, p.first_seen,
         CASE WHEN ${LIVE_PORT} THEN sc.seen_at ELSE p.last_seen END AS last_seen,
         CASE WHEN ${LIVE_PORT} AND ${SKIPPED_HOST} THEN 0 ELSE p.last_change END AS last_change,
         CASE WHEN ${LIVE_PORT} THEN sc.seen_scan_id ELSE p.last_scan_id END AS last_scan_id
    FROM port_state p
    JOIN host_state h ON h.scanner_id = p.scanner_id AND h.ip_key = p.ip_key
    JOIN scanners sc ON sc.id = p.scanner_id`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scanners', (t) => {
    t.integer('seen_seq').notNullable().defaultTo(0);
    t.integer('seen_scan_id').nullable();
    t.bigInteger('seen_at').nullable();
  });
  await knex.schema.alterTable('host_state', (t) => {
    t.integer('live_seq').nullable();
    t.bigInteger('digest').nullable();
  });
  await knex.raw(`CREATE VIEW host_now AS ${HOST_NOW}`);
  await knex.raw(`CREATE VIEW port_now AS ${PORT_NOW}`);
}

/** Back to the old layout: what the views derive is written into the rows first (ports before their hosts). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`UPDATE port_state SET open_streak = v.open_streak, last_seen = v.last_seen, last_change = v.last_change, last_scan_id = v.last_scan_id
                    FROM port_now v WHERE v.scanner_id = port_state.scanner_id AND v.ip_key = port_state.ip_key AND v.proto = port_state.proto AND v.port = port_state.port`);
  await knex.raw(`UPDATE host_state SET last_seen = v.last_seen, last_change = v.last_change, last_scan_id = v.last_scan_id, change_scan_id = v.change_scan_id
                    FROM host_now v WHERE v.scanner_id = host_state.scanner_id AND v.ip_key = host_state.ip_key`);
  await knex.raw('DROP VIEW IF EXISTS port_now');
  await knex.raw('DROP VIEW IF EXISTS host_now');
  // Plain DROP COLUMN (SQLite ≥ 3.35): knex would rebuild the tables on SQLite, which the foreign keys on scanners refuse.
  for (const [table, column] of [['host_state', 'live_seq'], ['host_state', 'digest'], ['scanners', 'seen_seq'], ['scanners', 'seen_scan_id'], ['scanners', 'seen_at']]) {
    await knex.raw(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  }
}
