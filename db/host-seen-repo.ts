// The hosts a set of scans saw up, with what the scanner knows of them (MAC, name, last sighting):
// what an inventory write-back (kind phpipam) needs besides the changes, since most hosts a scan
// sees up did not change.
import type { Knex } from 'knex';
import type { IpRange } from '../common/types';
import { chunks } from './delivery-marks';
import { whereNetworks } from './query-repo';

export interface SeenHost {
  ip: string;
  scanner: string;
  /** The PTR name the scanner last saw; null when none. */
  hostname: string | null;
  /** Only when the scanner was on the host's L2 segment. */
  mac: string | null;
  /** Epoch milliseconds of the last scan that saw it up. */
  lastSeenMs: number;
}

/**
 * Hosts whose last sighting is one of `scanIds` (a later scan that saw them again takes over),
 * inside `networks` when given (an agent's filter).
 */
export async function hostsSeenInScans(knex: Knex, scanIds: number[], networks?: IpRange[]): Promise<SeenHost[]> {
  const out: SeenHost[] = [];
  for (const part of chunks([...new Set(scanIds)])) {
    // host_now: a host every later scan saw unchanged keeps an old stored last_scan_id (migration 011)
    const q = knex('host_now as h')
      .join('scanners as s', 's.id', 'h.scanner_id')
      .where('h.status', 'up')
      .whereIn('h.last_scan_id', part)
      .select('h.ip', 's.name as scanner', 'h.hostname', 'h.mac', 'h.last_seen')
      .orderBy('h.ip_key');
    whereNetworks(q, 'h.ip_key', networks);
    const rows = await q;
    for (const r of rows as Array<{ ip: string; scanner: string; hostname: string | null; mac: string | null; last_seen: number | string }>) {
      out.push({ ip: r.ip, scanner: r.scanner, hostname: r.hostname, mac: r.mac, lastSeenMs: Number(r.last_seen) });
    }
  }
  return out;
}
