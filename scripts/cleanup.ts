// `cleanup` (DESIGN §7): forget what a retired scanner, a returned address range or old history left
// behind. Everything happens in one transaction; a dry run executes the same statements and rolls
// them back, so its counts are exactly those a real run would print.
//
// The selectors combine as AND:
//   --scanner alone       the scanner and everything of it (scans with their scope, state, changes, deliveries)
//   --range / --ip        state and changes (with their deliveries) of those addresses; scans are kept
//   --older-than          changes detected before the cutoff, state rows last seen before it (and the
//                         ports of removed hosts), scans before it that nothing needs any more
//   --scanner + another   the other selector's rows of that scanner only; the scanner itself stays
import type { Db } from '../db/connection';
import type { IpRange } from '../common/types';
import { UsageError } from '../common/errors';
import { lockScanner } from '../db/ingest-repo';
import * as repo from '../db/cleanup-repo';
import { recountAll } from '../db/state-counts-repo';
import { databaseError } from '../db/db-errors';
import { endTransaction } from '../db/transaction';

export interface CleanupSelection {
  scanner?: string;
  ranges?: IpRange[];
  /** epoch ms */
  before?: number;
}

export const TABLES = ['deliveries', 'changes', 'port_state', 'port_facts', 'host_state', 'scan_host_scope', 'scan_port_scope', 'scans', 'scanners'] as const;
export type CleanupCounts = Record<(typeof TABLES)[number], number>;

const deleting = (db: Db) => `could not delete from the database ${db.where}`;

export async function cleanup(db: Db, sel: CleanupSelection, dryRun: boolean): Promise<CleanupCounts> {
  if (sel.scanner === undefined && !sel.ranges?.length && sel.before === undefined) {
    throw new UsageError('cleanup needs a selector', 'give --older-than DUR, --scanner NAME, --range CIDR or --ip IP (add --dry-run to see the counts first)');
  }
  const counts = Object.fromEntries(TABLES.map((t) => [t, 0])) as CleanupCounts;
  const trx = await db.knex.transaction().catch((err: unknown) => {
    throw databaseError(deleting(db), err, db);
  });
  try {
    let scannerId: number | undefined;
    if (sel.scanner !== undefined) {
      scannerId = await repo.scannerId(trx, sel.scanner);
      if (scannerId === undefined) {
        const known = await repo.scannerNamesById(trx);
        throw new UsageError(`no scanner named '${sel.scanner}' in ${db.where}`, known.length ? `known scanners: ${known.join(', ')}` : 'the database holds no scanner yet');
      }
    }
    // Ingests of the affected scanners wait until we are done (PostgreSQL; SQLite has one writer anyway).
    for (const name of await repo.scannerNamesById(trx, scannerId)) await lockScanner(trx, db.dialect, name);

    const f: repo.CleanupFilter = { scannerId, ranges: sel.ranges, before: sel.before };
    Object.assign(counts, await repo.deleteChanges(trx, f), await repo.deleteState(trx, f));
    const wholeScanner = scannerId !== undefined && !sel.ranges?.length && sel.before === undefined;
    if (wholeScanner) {
      Object.assign(counts, await repo.deleteScans(trx, await repo.scanIdsOf(trx, scannerId!)));
      counts.scanners = await repo.deleteScanner(trx, scannerId!);
    } else if (sel.before !== undefined && !sel.ranges?.length) {
      Object.assign(counts, await repo.deleteScans(trx, await repo.unneededScanIds(trx, sel.before, scannerId)));
    }
    // the overview's counts, after deletes of any kind: counted afresh for the scanners locked above
    await recountAll(trx, scannerId);
    await endTransaction(db, trx, dryRun ? 'rollback' : 'commit', deleting(db));
    return counts;
  } catch (err) {
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
    throw databaseError(deleting(db), err, db);
  }
}
