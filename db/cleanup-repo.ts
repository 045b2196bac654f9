// The deletes behind `cleanup`. Each returns the exact number of rows it removed, so a dry run
// (the same statements, then a rollback) reports the same numbers as the real run.
import type { Knex } from 'knex';
import type { IpRange } from '../common/types';
import { PAGE } from './rows';

/** Rows matching every given part; an absent part does not restrict. */
export interface CleanupFilter {
  scannerId?: number;
  ranges?: IpRange[];
  /** epoch ms: changes detected, and state rows last seen, before this. */
  before?: number;
}

function where(q: Knex.QueryBuilder, f: CleanupFilter, table: string, timeColumn: string): Knex.QueryBuilder {
  if (f.scannerId !== undefined) q.where(`${table}.scanner_id`, f.scannerId);
  if (f.ranges?.length) {
    q.where((w) => {
      for (const r of f.ranges!) w.orWhereBetween(`${table}.ip_key`, [r.lo, r.hi]);
    });
  }
  if (f.before !== undefined) q.where(`${table}.${timeColumn}`, '<', f.before);
  return q;
}

export async function scannerId(knex: Knex, name: string): Promise<number | undefined> {
  const row = await knex('scanners').where({ name }).first('id');
  return row ? Number(row.id) : undefined;
}

export async function scannerNamesById(knex: Knex, id?: number): Promise<string[]> {
  const q = knex('scanners').select('name').orderBy('name');
  if (id !== undefined) q.where({ id });
  return (await q).map((r: { name: string }) => r.name);
}

/** The changes the filter selects, and their deliveries first (deliveries.change_id → changes.id). */
export async function deleteChanges(trx: Knex.Transaction, f: CleanupFilter): Promise<{ deliveries: number; changes: number }> {
  const ids = where(trx('changes').select('changes.id'), f, 'changes', 'detected_at');
  const deliveries = await trx('deliveries').whereIn('change_id', ids).del();
  const changes = await where(trx('changes'), f, 'changes', 'detected_at').del();
  return { deliveries, changes };
}

/**
 * Rows of `table` whose last sighting as the view derives it (host_now, port_now: a row every later
 * scan saw unchanged keeps an older stored last_seen, migration 011) is before `before`.
 */
function seenBefore(trx: Knex.Transaction, table: 'host_state' | 'port_state', before: number) {
  const view = table === 'host_state' ? 'host_now' : 'port_now';
  const port = table === 'port_state' ? ` AND v.proto = ${table}.proto AND v.port = ${table}.port` : '';
  return (s: Knex.QueryBuilder): void => {
    s.select(trx.raw('1')).from(`${view} as v`)
      .whereRaw(`v.scanner_id = ${table}.scanner_id AND v.ip_key = ${table}.ip_key${port}`).where('v.last_seen', '<', before);
  };
}

/**
 * Host and port state rows. With `before`: rows last seen before it, and the port rows of every
 * host row removed (a port never outlives its host's row).
 */
export async function deleteState(trx: Knex.Transaction, f: CleanupFilter): Promise<{ port_state: number; host_state: number; port_facts: number }> {
  const hosts = where(trx('host_state'), { ...f, before: undefined }, 'host_state', '');
  if (f.before !== undefined) hosts.whereExists(seenBefore(trx, 'host_state', f.before));
  const host_state = await hosts.del();
  const ports = where(trx('port_state'), { ...f, before: undefined }, 'port_state', '');
  if (f.before !== undefined) {
    ports.where((w) => {
      w.whereExists(seenBefore(trx, 'port_state', f.before!)).orWhereNotExists((s) => {
        s.select(trx.raw('1')).from('host_state as h').whereRaw('h.scanner_id = port_state.scanner_id').andWhereRaw('h.ip_key = port_state.ip_key');
      });
    });
  }
  const port_state = await ports.del();
  // a port's service fingerprint and certificate go with its state row
  const port_facts = await where(trx('port_facts'), { ...f, before: undefined }, 'port_facts', '').whereNotExists((s) => {
    s.select(trx.raw('1')).from('port_state as p').whereRaw('p.scanner_id = port_facts.scanner_id AND p.ip_key = port_facts.ip_key AND p.proto = port_facts.proto AND p.port = port_facts.port');
  }).del();
  return { port_state, host_state, port_facts };
}

export async function scanIdsOf(trx: Knex.Transaction, id: number): Promise<number[]> {
  return (await trx('scans').where({ scanner_id: id }).select('id')).map((r: { id: number }) => Number(r.id));
}

/**
 * Scans made before `before` that nothing needs any more: no remaining change or state row points
 * at them, and each is neither its scanner's newest applied scan (later files are judged stale
 * against it) nor its newest complete one. A state row points at the scans host_now/port_now show
 * (with the scanner's seen_scan_id), as the old layout stored them: the older id a skipped row
 * still stores is only compared with other ids, never looked up, and ids are not reused
 * (AUTOINCREMENT, a sequence), so its scan may go as it went before migration 011.
 */
export async function unneededScanIds(trx: Knex.Transaction, before: number, id?: number): Promise<number[]> {
  const q = trx('scans').select('id', 'scanner_id').whereRaw('coalesce(started_at, ingested_at) < ?', [before]);
  if (id !== undefined) q.where({ scanner_id: id });
  const candidates: Array<{ id: number; scanner_id: number }> = await q;
  if (candidates.length === 0) return [];
  const keep = new Set<number>();
  for (const [table, column] of [['changes', 'scan_id'], ['host_now', 'last_scan_id'], ['host_now', 'change_scan_id'], ['port_now', 'last_scan_id'], ['scanners', 'seen_scan_id']]) {
    for (const r of await trx(table).distinct(`${column} as id`)) keep.add(Number(r.id));
  }
  for (const sid of new Set(candidates.map((c) => Number(c.scanner_id)))) {
    const applied = () => trx('scans').where({ scanner_id: sid, status: 'applied' });
    const latest = [{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }];
    const newest = [
      () => applied().whereNotNull('started_at').orderBy(latest).first('id'),
      () => applied().where({ complete: 1 }).whereNotNull('started_at').orderBy(latest).first('id'),
      () => applied().orderBy('id', 'desc').first('id'),
    ];
    for (const query of newest) {
      const row = await query();
      if (row) keep.add(Number(row.id));
    }
  }
  return candidates.map((c) => Number(c.id)).filter((sid) => !keep.has(sid));
}

export async function deleteScans(trx: Knex.Transaction, ids: readonly number[]): Promise<{ scan_host_scope: number; scan_port_scope: number; scans: number }> {
  const n = { scan_host_scope: 0, scan_port_scope: 0, scans: 0 };
  for (let i = 0; i < ids.length; i += PAGE / 10) {
    const page = ids.slice(i, i + PAGE / 10);
    n.scan_host_scope += await trx('scan_host_scope').whereIn('scan_id', page).del();
    n.scan_port_scope += await trx('scan_port_scope').whereIn('scan_id', page).del();
    n.scans += await trx('scans').whereIn('id', page).del();
  }
  return n;
}

export async function deleteScanner(trx: Knex.Transaction, id: number): Promise<number> {
  // Its health bookkeeping goes with it (db/migrations/004): a scanner of the same name later starts afresh.
  const row = await trx('scanners').where({ id }).first('name');
  await trx('scanner_silences').where({ scanner_id: id }).del();
  if (row) await trx('scan_failures').where({ scanner: row.name }).del();
  return trx('scanners').where({ id }).del();
}
