// Counts of the state and of the changes kept beside them (db/migrations/007), so the overview does
// not scan the whole state at every request. Ingest adds each scan's difference inside its
// transaction, from that scan's change rows alone: a port is reported open exactly when a change
// with new_port or port_reopened says so and stops being open exactly with port_closed; a host is
// up from new_host to host_down (delta-reporter/classify.ts). Scanner events are counted where they
// are written (health-repo.ts). Cleanup, which deletes any rows, recounts everything.
import type { Knex } from 'knex';
import { ChangeType, SCANNER_EVENTS } from '../common/types';
import { rowsOf } from './rows';

type Trx = Knex | Knex.Transaction;

const DAY_MS = 86_400_000;
/** An address key's /24 (IPv4; an IPv6 key's /120): its first 30 hex digits, as SQL over `column`. */
export const block24 = (column: string): string => `substr(${column}, 1, 30)`;
const BLOCK = block24('ip_key');

const BITS = Object.freeze({
  opens: ChangeType.new_port | ChangeType.port_reopened,
  up: ChangeType.new_host,
  portMoves: ChangeType.new_port | ChangeType.port_reopened | ChangeType.port_closed,
  hostMoves: ChangeType.new_host | ChangeType.host_down,
});

/** One scan's difference to the open-port and hosts-up counts, read from its change rows (index on scan_id). */
async function addStateDifference(trx: Trx, scanId: number, scannerId: number): Promise<void> {
  const b = { scan: scanId, scanner: scannerId, ...BITS };
  await trx.raw(
    `INSERT INTO open_port_counts (scanner_id, proto, port, hosts)
     SELECT CAST(:scanner AS integer), proto, port, SUM(CASE WHEN (type & :opens) <> 0 THEN 1 ELSE -1 END)
       FROM changes WHERE scan_id = :scan AND port IS NOT NULL AND (type & :portMoves) <> 0
      GROUP BY proto, port
     ON CONFLICT (scanner_id, proto, port) DO UPDATE SET hosts = open_port_counts.hosts + excluded.hosts`,
    b,
  );
  await trx.raw(
    `INSERT INTO host_up_counts (scanner_id, hosts)
     SELECT CAST(:scanner AS integer), COALESCE(SUM(CASE WHEN (type & :up) <> 0 THEN 1 ELSE -1 END), 0)
       FROM changes WHERE scan_id = :scan AND port IS NULL AND (type & :hostMoves) <> 0
     ON CONFLICT (scanner_id) DO UPDATE SET hosts = host_up_counts.hosts + excluded.hosts`,
    b,
  );
  await trx('open_port_counts').where({ scanner_id: scannerId, hosts: 0 }).del();
  await trx.raw(
    `INSERT INTO block_counts (scanner_id, block, hosts, ports)
     SELECT CAST(:scanner AS integer), ${BLOCK},
            SUM(CASE WHEN port IS NOT NULL THEN 0 WHEN (type & :up) <> 0 THEN 1 ELSE -1 END),
            SUM(CASE WHEN port IS NULL THEN 0 WHEN (type & :opens) <> 0 THEN 1 ELSE -1 END)
       FROM changes WHERE scan_id = :scan
        AND ((port IS NULL AND (type & :hostMoves) <> 0) OR (port IS NOT NULL AND (type & :portMoves) <> 0))
      GROUP BY ${BLOCK}
     ON CONFLICT (scanner_id, block) DO UPDATE SET hosts = block_counts.hosts + excluded.hosts, ports = block_counts.ports + excluded.ports`,
    b,
  );
  await trx('block_counts').where({ scanner_id: scannerId, hosts: 0, ports: 0 }).del();
}

/**
 * Inside the ingest's transaction, after the scan is applied: its difference to the state counts,
 * and its change rows per type (`counts`, as applyScan counted them; every change of a scan is
 * dated at the scan's time `at`). Scanner events in `counts` are left out: insertScannerEvent counts them.
 */
export async function recordScanCounts(trx: Trx, p: { scanId: number; scannerId: number; at: number; counts: ReadonlyMap<number, number> }): Promise<void> {
  await addStateDifference(trx, p.scanId, p.scannerId);
  const day = Math.floor(p.at / DAY_MS);
  const rows = [...p.counts].filter(([type, n]) => n > 0 && (type & SCANNER_EVENTS) === 0)
    .map(([type, n]) => ({ scan_id: p.scanId, scanner_id: p.scannerId, day, type, n }));
  if (rows.length) await trx('change_day_counts').insert(rows);
}

/** One scanner event (a change row without an address) counted for its day. */
export async function countScannerEvent(trx: Trx, e: { scanId: number; scannerId: number; type: number; at: number }): Promise<void> {
  await trx.raw(
    `INSERT INTO change_day_counts (scan_id, scanner_id, day, type, n) VALUES (?, ?, ?, ?, 1)
     ON CONFLICT (scan_id, day, type) DO UPDATE SET n = change_day_counts.n + 1`,
    [e.scanId, e.scannerId, Math.floor(e.at / DAY_MS), e.type],
  );
}

/**
 * The counts recomputed from the rows: every scanner's (the migration), or one scanner's (cleanup
 * after its deletes, holding the locks of the scanners it touched: another scanner's ingest may
 * be adding to its own counts meanwhile).
 */
export async function recountAll(trx: Trx, scannerId?: number): Promise<void> {
  await recountOverview(trx, scannerId);
  await recountBlocks(trx, scannerId);
}

/** The counts of migration 007 (its own tables only: a migration must not need a later one's). */
export async function recountOverview(trx: Trx, scannerId?: number): Promise<void> {
  const only = scannerId === undefined ? '' : 'WHERE scanner_id = ?';
  const and = scannerId === undefined ? '' : 'AND scanner_id = ?';
  const b = scannerId === undefined ? [] : [scannerId];
  for (const t of ['open_port_counts', 'host_up_counts', 'change_day_counts']) await trx.raw(`DELETE FROM ${t} ${only}`, b);
  await trx.raw(`INSERT INTO open_port_counts (scanner_id, proto, port, hosts)
    SELECT scanner_id, proto, port, COUNT(*) FROM port_state WHERE reported = 'open' ${and} GROUP BY scanner_id, proto, port`, b);
  await trx.raw(`INSERT INTO host_up_counts (scanner_id, hosts)
    SELECT scanner_id, COUNT(*) FROM host_state WHERE status = 'up' ${and} GROUP BY scanner_id`, b);
  await trx.raw(`INSERT INTO change_day_counts (scan_id, scanner_id, day, type, n)
    SELECT scan_id, MIN(scanner_id), detected_at / ${DAY_MS}, type, COUNT(*) FROM changes ${only} GROUP BY scan_id, detected_at / ${DAY_MS}, type`, b);
}

/** The per-/24 counts recomputed from the rows: every scanner's, or one scanner's. */
export async function recountBlocks(trx: Trx, scannerId?: number): Promise<void> {
  const and = scannerId === undefined ? '' : 'AND scanner_id = ?';
  const b = scannerId === undefined ? [] : [scannerId];
  await trx.raw(`DELETE FROM block_counts ${scannerId === undefined ? '' : 'WHERE scanner_id = ?'}`, b);
  await trx.raw(`INSERT INTO block_counts (scanner_id, block, hosts, ports)
    SELECT scanner_id, block, SUM(hosts), SUM(ports) FROM (
      SELECT scanner_id, ${BLOCK} AS block, 1 AS hosts, 0 AS ports FROM host_state WHERE status = 'up' ${and}
      UNION ALL
      SELECT scanner_id, ${BLOCK} AS block, 0 AS hosts, 1 AS ports FROM port_state WHERE reported = 'open' ${and}
    ) x GROUP BY scanner_id, block`, [...b, ...b]);
}

/** The stored counts, in a fixed order, zero rows left out: what a test compares with a recount. */
export async function storedCounts(trx: Trx): Promise<{ ports: string[]; hosts: string[]; days: string[]; blocks: string[] }> {
  const q = async (sql: string) => rowsOf<Record<string, unknown>>(await trx.raw(sql)).map((r) => Object.values(r).map(String).join(' '));
  return {
    ports: await q('SELECT scanner_id, proto, port, hosts FROM open_port_counts WHERE hosts <> 0 ORDER BY scanner_id, proto, port'),
    hosts: await q('SELECT scanner_id, hosts FROM host_up_counts WHERE hosts <> 0 ORDER BY scanner_id'),
    days: await q('SELECT scan_id, scanner_id, day, type, n FROM change_day_counts WHERE n <> 0 ORDER BY scan_id, day, type'),
    blocks: await q('SELECT scanner_id, block, hosts, ports FROM block_counts WHERE hosts <> 0 OR ports <> 0 ORDER BY scanner_id, block'),
  };
}
