// The SQL of "seen by scan N" (migration 011): the scanner's newest applied scan, the hosts an
// ingest may skip, and keeping host rows exact around the ones it skips. A host row with live_seq
// set has been seen, unchanged, by every scan of its scanner since it was written: before an ingest
// writes such a row again, catchUp() writes what the skipped scans would have written; after the
// apply, settle() marks what this scan saw and which hosts the next scan may skip.
import type { Dialect } from './dialects/types';
import type { Trx } from './ingest-repo';
import { PAGE, rowsOf } from './rows';
import { TOUCHED_KEYS } from './staging';

/** The scanner's newest applied scan: how many it has applied (seq), which, and when. */
export interface SeenScan {
  seq: number;
  scanId: number | null;
  at: number | null;
}

export async function scannerSeen(trx: Trx, scannerId: number): Promise<SeenScan> {
  const r = await trx('scanners').where({ id: scannerId }).first('seen_seq', 'seen_scan_id', 'seen_at');
  return { seq: Number(r.seen_seq), scanId: r.seen_scan_id == null ? null : Number(r.seen_scan_id), at: r.seen_at == null ? null : Number(r.seen_at) };
}

export async function advanceScanner(trx: Trx, scannerId: number, next: { seq: number; scanId: number; at: number }): Promise<void> {
  await trx('scanners').where({ id: scannerId }).update({ seen_seq: next.seq, seen_scan_id: next.scanId, seen_at: next.at });
}

/**
 * The scanner's hosts up, with what decides whether a scan may skip them: PAGE hosts at a time,
 * each page one string of `ip_key,live_seq,digest` joined by `;` (live_seq and digest empty when
 * null; ip_key is hex, see common/ip.ts). A row object a host took 3.5 times as long to read: 0.6 s
 * for the 315,000 hosts of a /12, while the file's parse waited for the scan to open.
 */
export async function* upHostPages(trx: Trx, dialect: Dialect, scannerId: number): AsyncGenerator<string> {
  const cell = (c: string) => `COALESCE(CAST(${c} AS TEXT), '')`;
  const packed = dialect.joinedText(`ip_key || ',' || ${cell('live_seq')} || ',' || ${cell('digest')}`, "';'");
  for (let after = ''; ;) {
    const [page] = rowsOf<{ packed: string | null; last: string | null }>(await trx.raw(
      `SELECT ${packed} AS packed, MAX(ip_key) AS last FROM (
         SELECT ip_key, live_seq, digest FROM host_state
          WHERE scanner_id = ? AND status = 'up' AND ip_key > ?
          ORDER BY ip_key LIMIT ${PAGE}) page`,
      [scannerId, after],
    ));
    if (!page || page.last === null || page.packed === null) return;
    yield page.packed;
    after = page.last;
  }
}

/**
 * Host rows the scan is about to write that earlier scans skipped: brought to what those scans
 * would have written (seen again, streaks counted on), ports before their host, whose stored
 * last_scan_id says which of its ports were seen with it.
 */
export async function catchUp(trx: Trx, dialect: Dialect, scannerId: number, prev: SeenScan): Promise<void> {
  if (prev.scanId === null) return;
  const b = { scanner: scannerId, seq: prev.seq, scan: prev.scanId, at: prev.at };
  const skipped = `h.scanner_id = :scanner AND h.live_seq < :seq AND h.ip_key IN ${TOUCHED_KEYS}`;
  // Both start from the touched keys and filter on no new id: PostgreSQL may look them up by key.
  await dialect.byKey(trx, () => trx.raw(
    `UPDATE port_state SET open_streak = port_state.open_streak + (:seq - h.live_seq), last_seen = :at, last_change = 0, last_scan_id = :scan
       FROM host_state h
      WHERE ${skipped} AND port_state.scanner_id = :scanner AND port_state.ip_key = h.ip_key
        AND port_state.last_scan_id = h.last_scan_id AND port_state.reported = 'open'`,
    b,
  ));
  await dialect.byKey(trx, () => trx.raw(
    `UPDATE host_state SET last_seen = :at, last_change = 0, last_scan_id = :scan, change_scan_id = :scan, live_seq = :seq
      WHERE scanner_id = :scanner AND live_seq < :seq AND ip_key IN ${TOUCHED_KEYS}`,
    b,
  ));
}

/**
 * After the apply: hosts seen up by this scan are live as of it, and keep the scan's digest when
 * nothing about them is pending — up, not answering on every port, no missed scan, and each port
 * either reported open and seen now, or not reported open and with no streak under way. A host
 * listed more than once, or by an incomplete scan, keeps none. Hosts it touched but did not see
 * up are no longer live.
 */
export async function settle(trx: Trx, p: { scannerId: number; scanId: number; seq: number; complete: boolean }): Promise<void> {
  const b = { scanner: p.scannerId, scan: p.scanId, seq: p.seq, complete: p.complete ? 1 : 0 };
  const calm = `NOT EXISTS (SELECT 1 FROM port_state x WHERE x.scanner_id = :scanner AND x.ip_key = host_state.ip_key
                  AND NOT (CASE WHEN x.reported = 'open' THEN x.last_scan_id = :scan AND x.miss_streak = 0
                                ELSE x.open_streak = 0 AND x.last_scan_id <> :scan END))`;
  await trx.raw(
    `UPDATE host_state SET live_seq = :seq,
            digest = CASE WHEN :complete = 1 AND s.n = 1 AND host_state.all_ports = 0 AND host_state.miss_streak = 0 AND ${calm} THEN s.digest ELSE NULL END
       FROM (SELECT ip_key, COUNT(*) AS n, MAX(digest) AS digest FROM stage_hosts GROUP BY ip_key) s
      WHERE host_state.scanner_id = :scanner AND host_state.ip_key = s.ip_key AND host_state.last_scan_id = :scan`,
    b,
  );
  await trx.raw(
    `UPDATE host_state SET live_seq = NULL, digest = NULL
      WHERE scanner_id = :scanner AND (live_seq IS NOT NULL OR digest IS NOT NULL) AND last_scan_id <> :scan AND ip_key IN ${TOUCHED_KEYS}`,
    b,
  );
}

/**
 * A host skipped at its first record and listed again: its first record said what the state
 * already holds (that is why it was skipped), so it is staged again from the state. Returns the
 * hosts and open ports put back.
 */
export async function restage(trx: Trx, scannerId: number, resolvesNames: boolean): Promise<{ hosts: number; ports: number }> {
  const b = { scanner: scannerId, resolves: resolvesNames ? 1 : 0 };
  const mine = 'h.scanner_id = :scanner AND h.ip_key IN (SELECT ip_key FROM stage_restage)';
  // the ports seen with the host when it was last written: all reported open, as it was skipped
  const seenWithIt = "p.scanner_id = h.scanner_id AND p.ip_key = h.ip_key AND p.last_scan_id = h.last_scan_id AND p.reported = 'open'";
  await trx.raw(
    `INSERT INTO stage_ports (ip_key, proto, port, open, service)
     SELECT p.ip_key, p.proto, p.port, 1, p.service FROM host_state h JOIN port_state p ON ${seenWithIt} WHERE ${mine}`,
    b,
  );
  await trx.raw(
    `INSERT INTO stage_hosts (ip_key, ip, up, timed_out, ptr, mac, open_count, digest)
     SELECT h.ip_key, h.ip, 1, 0, CASE WHEN :resolves = 1 THEN h.hostname ELSE NULL END, h.mac,
            (SELECT COUNT(*) FROM port_state p WHERE ${seenWithIt}), NULL
       FROM host_state h WHERE ${mine}`,
    b,
  );
  const n = rowsOf<{ hosts: number; ports: number }>(await trx.raw(
    `SELECT (SELECT COUNT(*) FROM stage_restage) AS hosts,
            (SELECT COUNT(*) FROM host_state h JOIN port_state p ON ${seenWithIt} WHERE ${mine}) AS ports`,
    b,
  ));
  return { hosts: Number(n[0].hosts), ports: Number(n[0].ports) };
}
