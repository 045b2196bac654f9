// `portdelta diff A B` (ndiff's job with portdelta's rules): both files go through the ordinary
// ingest into a store that lives in memory for this call, A first as the scanner's baseline, then B;
// B's change rows are the diff. There is no second diff algorithm: scope, completeness,
// open|filtered and the thresholds decide exactly as they would in the nightly store, and the
// apply path notes why it stayed silent where a reader might expect a change (suppression.ts).
import { openDb, type Db } from '../db/connection';
import { listChanges } from '../db/query-repo';
import { openInput } from '../input-agents/open-input';
import { PortdeltaError, ScanRejectedError, UsageError } from '../common/errors';
import type { ChangeRow, IpRange, PortScope } from '../common/types';
import type { ScannersConfig } from '../common/scanner-config';
import { ingestStream, type IngestSummary } from './ingest';
import { Suppressions, type Suppression } from './suppression';

export interface DiffOptions {
  scanner?: string;
  format?: string;
  scope?: IpRange[];
  ports?: PortScope;
  scanners: ScannersConfig;
  /** Bytes one file may unpack to (gzip). */
  maxDecompressed?: number;
}

export interface DiffResult {
  a: IngestSummary;
  b: IngestSummary;
  /** B's changes against A, as `changes --json` shows them. */
  changes: ChangeRow[];
  /** What B did not conclude, and why. */
  suppressed: Suppression[];
}

async function ingestFile(db: Db, file: string, opts: DiffOptions, scanner: string | undefined, notes?: Suppressions): Promise<IngestSummary> {
  const { head, rest } = await openInput(file, undefined, { maxDecompressed: opts.maxDecompressed });
  return ingestStream(db, head, rest, { source: file, scanner, format: opts.format, scope: opts.scope, ports: opts.ports, scanners: opts.scanners, notes });
}

/** Each file read alone: an unreadable one is named, with its own error and remedy. */
async function step(which: 'A' | 'B', file: string, run: () => Promise<IngestSummary>): Promise<IngestSummary> {
  try {
    return await run();
  } catch (err) {
    const remedy = err instanceof PortdeltaError && err.remedy ? err.remedy : 'check that the file is a scan in a supported format (docs/formats.md)';
    const at = err instanceof ScanRejectedError && err.position ? `, ${err.position}` : '';
    const code = err instanceof PortdeltaError ? err.code : 'BAD_INPUT';
    throw new PortdeltaError(code, `${which} (${file}${at}): ${(err as Error).message}`, { remedy, cause: err });
  }
}

function checkPair(fileA: string, a: IngestSummary, fileB: string, b: IngestSummary): void {
  if (a.scanner !== b.scanner) {
    throw new UsageError(`A (${fileA}) is a scan of scanner '${a.scanner}', B (${fileB}) of '${b.scanner}': diff compares two scans of one scanner`, 'give --scanner NAME to compare them as scans of one scanner');
  }
  if (b.status === 'stale') {
    throw new UsageError(`B (${fileB}, ${b.started_at}) was made before A (${fileA}, ${a.started_at})`, `give the older scan first: portdelta diff ${fileB} ${fileA}`);
  }
}

export async function diffFiles(fileA: string, fileB: string, opts: DiffOptions): Promise<DiffResult> {
  if (fileA === '-' || fileB === '-') throw new UsageError('diff reads two files, not stdin', 'save the scan to a file first');
  const db = await openDb('sqlite::memory:');
  try {
    const a = await step('A', fileA, () => ingestFile(db, fileA, opts, opts.scanner));
    const notes = new Suppressions();
    const b = await step('B', fileB, () => ingestFile(db, fileB, opts, opts.scanner, notes));
    checkPair(fileA, a, fileB, b);
    const changes = b.status === 'applied' ? await listChanges(db.knex, { scanId: b.scan_id }) : [];
    return { a, b, changes, suppressed: notes.list };
  } finally {
    await db.close();
  }
}
