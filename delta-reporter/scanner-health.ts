// Silence (docs/operations.md): a scanner with `expect_every` that has no applied complete scan for
// that long is silent. Nothing has to arrive to notice it, so `run`, `report`, `watch` and
// `scanners` evaluate it against the clock; the first to see a silence period records its one
// scanner_silent event, and the ingest of the next complete scan records scanner_back.
import type { Db } from '../db/connection';
import type { Trx } from '../db/ingest-repo';
import * as health from '../db/health-repo';
import { ChangeType } from '../common/types';
import { formatDuration } from '../common/duration';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The clock silence is measured against: PORTDELTA_NOW (an ISO time, for tests and trying a config) or now. */
export function healthNow(): number {
  const set = process.env.PORTDELTA_NOW;
  if (!set) return Date.now();
  const ms = Date.parse(set);
  if (Number.isNaN(ms)) throw new TypeError(`PORTDELTA_NOW='${set}' is not a time: give an ISO 8601 time such as 2026-11-23T06:00:00Z`);
  return ms;
}

export interface Silence {
  scanner: string;
  /** When the silence began: the last applied complete scan (or, without one, the scanner's first sighting) plus expect_every. */
  since: number;
  last_scan_at: number | null;
  expect_every_ms: number;
  /** This evaluation recorded the scanner_silent event (false: an earlier or concurrent run did). */
  recorded: boolean;
}

/** Where the scanner stands against its expect_every at `now`; null when it is not silent. */
export async function silenceOf(trx: Trx, scanner: health.ScannerRow, expectMs: number, now: number): Promise<Omit<Silence, 'recorded'> & { last_scan_id: number } | null> {
  const last = await health.lastApplied(trx, scanner.id, true);
  const base = last?.at ?? scanner.created_at;
  const since = base + expectMs;
  if (now <= since) return null;
  return { scanner: scanner.name, since, last_scan_at: last?.at ?? null, expect_every_ms: expectMs, last_scan_id: last?.id ?? 0 };
}

/**
 * Evaluates every scanner that has an `expect_every` and is known to the store (a configured scanner
 * that never sent anything has no row to speak for). Idempotent: one event per silence period.
 */
export async function evaluateSilence(db: Db, expectations: Record<string, number | undefined>, now: number): Promise<Silence[]> {
  const out: Silence[] = [];
  for (const scanner of await health.scannerRows(db.knex)) {
    const expectMs = expectations[scanner.name];
    if (expectMs === undefined) continue;
    const seen = await silenceOf(db.knex, scanner, expectMs, now);
    if (!seen) continue;
    // The insert comes first, so the transaction starts as a writer (SQLite waits on busy_timeout
    // instead of failing); then the silence is checked again under it, since a scan may have
    // ended it since the look above.
    const outcome = await db.knex.transaction(async (trx): Promise<'recorded' | 'known' | 'ended'> => {
      const silenceId = await health.openSilence(trx, scanner.id, seen.since);
      if (silenceId === null) return 'known';
      const s = await silenceOf(trx, scanner, expectMs, now);
      if (!s || s.since !== seen.since) {
        await health.dropSilence(trx, silenceId);
        return 'ended';
      }
      const details = { silent_since: iso(s.since), last_scan_at: iso(s.last_scan_at), expect_every: formatDuration(expectMs), expect_every_ms: expectMs };
      const changeId = await health.insertScannerEvent(trx, { scannerId: scanner.id, scanId: s.last_scan_id, type: ChangeType.scanner_silent, at: s.since, details });
      await health.setSilenceChange(trx, silenceId, changeId);
      return 'recorded';
    });
    if (outcome === 'ended') continue;
    out.push({ scanner: seen.scanner, since: seen.since, last_scan_at: seen.last_scan_at, expect_every_ms: expectMs, recorded: outcome === 'recorded' });
  }
  return out;
}

/** In the ingest of a complete scan: ends the scanner's open silence, if any, with a scanner_back event. */
export async function scannerBack(trx: Trx, scannerId: number, scanId: number, at: number): Promise<boolean> {
  const since = await health.closeSilence(trx, scannerId, scanId);
  if (since === null) return false;
  await health.insertScannerEvent(trx, { scannerId, scanId, type: ChangeType.scanner_back, at, details: { silent_since: iso(since), scan_at: iso(at) } });
  return true;
}

/** The line `run` (and `report`, `watch`) prints for a silent scanner. */
export function silenceWarning(s: Silence): string {
  const last = s.last_scan_at === null ? 'no applied complete scan yet' : `last applied complete scan ${iso(s.last_scan_at)}`;
  return `warning: scanner ${s.scanner} is silent since ${iso(s.since)} (${last}; expect_every ${formatDuration(s.expect_every_ms)})`;
}
