// The SQL of scanner health (docs/operations.md): scanner events, silence periods, failed files,
// and what `portdelta scanners` shows. Scanner events are stored with ip and ip_key '' (they have no
// address; db/migrations/004 says why not NULL).
import type { Knex } from 'knex';
import type { Trx } from './ingest-repo';
import { countScannerEvent } from './state-counts-repo';

export interface ScannerEvent {
  scannerId: number;
  scanId: number;
  type: number;
  at: number;
  details: Record<string, unknown>;
}

export async function insertScannerEvent(trx: Trx, e: ScannerEvent): Promise<number> {
  const [r] = await trx('changes')
    .insert({
      scanner_id: e.scannerId, scan_id: e.scanId, ip_key: '', ip: '', proto: null, port: null, type: e.type,
      hostname: null, previous_hostname: null, returning: 0, detected_at: e.at, details: JSON.stringify(e.details),
    })
    .returning('id');
  await countScannerEvent(trx, e);
  return typeof r === 'object' ? (r as { id: number }).id : (r as number);
}

/**
 * What this scanner knows before a scan: its up hosts and reported-open ports (max_absence's
 * denominators), from the counts every ingest keeps (state-counts-repo.ts) instead of a count of its state.
 */
export async function countKnown(trx: Trx, scannerId: number): Promise<{ hosts: number; ports: number }> {
  const h = await trx('host_up_counts').where({ scanner_id: scannerId }).first('hosts');
  const p = await trx('open_port_counts').where({ scanner_id: scannerId }).sum({ n: 'hosts' }).first();
  return { hosts: Number(h?.hosts ?? 0), ports: Number(p?.n ?? 0) };
}

/** A savepoint inside the ingest's transaction: a mass-absence scan is applied again from here. */
export const savepoint = {
  set: (trx: Trx) => trx.raw('SAVEPOINT pd_absence'),
  release: (trx: Trx) => trx.raw('RELEASE SAVEPOINT pd_absence'),
  rollback: (trx: Trx) => trx.raw('ROLLBACK TO SAVEPOINT pd_absence'),
};

/**
 * Opens the silence period that began at `since`, unless some run already did: the unique key
 * (scanner_id, since) lets exactly one writer in, and only that one records the event.
 */
export async function openSilence(trx: Trx, scannerId: number, since: number): Promise<number | null> {
  const rows = await trx('scanner_silences').insert({ scanner_id: scannerId, since }).onConflict(['scanner_id', 'since']).ignore().returning('id');
  if (rows.length === 0) return null;
  const r = rows[0] as { id: number } | number;
  return typeof r === 'object' ? r.id : r;
}

export async function dropSilence(trx: Trx, silenceId: number): Promise<void> {
  await trx('scanner_silences').where({ id: silenceId }).del();
}

export async function setSilenceChange(trx: Trx, silenceId: number, changeId: number): Promise<void> {
  await trx('scanner_silences').where({ id: silenceId }).update({ change_id: changeId });
}

/** Ends the scanner's open silence (if any) with this scan; the one that ends it gets its start back. */
export async function closeSilence(trx: Trx, scannerId: number, scanId: number): Promise<number | null> {
  const open = await trx('scanner_silences').where({ scanner_id: scannerId }).whereNull('back_scan_id').orderBy('since', 'desc').first('id', 'since');
  if (!open) return null;
  const n = await trx('scanner_silences').where({ id: open.id }).whereNull('back_scan_id').update({ back_scan_id: scanId });
  return n === 1 ? Number(open.since) : null;
}

export async function recordFailure(knex: Knex, f: { scanner: string; source: string; reason: string; at: number }): Promise<void> {
  await knex('scan_failures').insert({ scanner: f.scanner, source: f.source.slice(0, 1000), reason: f.reason, failed_at: f.at });
}

export interface ScannerRow {
  id: number;
  name: string;
  group: string | null;
  created_at: number;
}

export async function scannerRows(knex: Knex): Promise<ScannerRow[]> {
  const rows = await knex('scanners').select('id', 'name', 'group_name', 'created_at').orderBy('name');
  return rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), name: r.name as string, group: (r.group_name as string) ?? null, created_at: Number(r.created_at) }));
}

export interface ScanRow {
  id: number;
  source: string;
  format: string;
  at: number | null;
  complete: boolean;
  hosts_up: number;
  ports_open: number;
}

const scanTime = 'COALESCE(finished_at, started_at)';

/** The scanner's newest applied scan (complete or not, or only complete ones), by the scan's own time. */
export async function lastApplied(knex: Trx, scannerId: number, completeOnly: boolean): Promise<ScanRow | null> {
  const q = knex('scans').where({ scanner_id: scannerId, status: 'applied' })
    .select('id', 'source', 'format', knex.raw(`${scanTime} AS at`), 'complete', 'hosts_up', 'ports_open')
    .orderByRaw(`${scanTime} DESC NULLS LAST, id DESC`).first();
  if (completeOnly) q.where('complete', 1);
  const r = (await q) as Record<string, unknown> | undefined;
  return r
    ? { id: Number(r.id), source: r.source as string, format: r.format as string, at: r.at == null ? null : Number(r.at), complete: !!Number(r.complete), hosts_up: Number(r.hosts_up), ports_open: Number(r.ports_open) }
    : null;
}

export async function scansSince(knex: Knex, scannerId: number, fromMs: number): Promise<number> {
  const r = await knex('scans').where({ scanner_id: scannerId, status: 'applied' }).whereRaw(`${scanTime} >= ?`, [fromMs]).count({ n: '*' }).first();
  return Number(r?.n ?? 0);
}

export async function lastFailure(knex: Knex, scanner: string): Promise<{ source: string; reason: string; at: number } | null> {
  const r = await knex('scan_failures').where({ scanner }).orderBy('id', 'desc').first('source', 'reason', 'failed_at');
  return r ? { source: r.source, reason: r.reason, at: Number(r.failed_at) } : null;
}

export async function failureScanners(knex: Knex): Promise<string[]> {
  return (await knex('scan_failures').distinct('scanner')).map((r: { scanner: string }) => r.scanner);
}
