// One inbox file: ingest it (one transaction), then archive it; or, when the file itself is bad,
// move it to failed/ with the reason. Restart safety rests on the order: the commit comes first,
// the move second. A crash between the two leaves an ingested file in the inbox; the next attempt
// finds its sha256 already stored ('duplicate', nothing changes) and archives it then.
import type { Db } from '../db/connection';
import type { Config } from '../config/config';
import { ingestStream, type IngestSummary } from '../delta-reporter/ingest';
import { checkScannerName } from '../delta-reporter/scan-file';
import { openInput } from '../input-agents/open-input';
import { describeError, PortdeltaError, ScanRejectedError, UnknownFormatError, UsageError } from '../common/errors';
import { formatNames } from '../input-agents/registry';
import type { InboxEntry } from './files';
import type { Peek } from './peek';
import { archive, fail } from './move';
import { databaseFault } from '../db/db-errors';
import { safeText } from '../common/safe-text';
import { recordFailure } from '../db/health-repo';

export interface InboxResult {
  /** Path relative to the inbox. */
  file: string;
  scanner: string | null;
  /**
   * applied/stale/duplicate: ingested and archived; failed: the file is bad and is now in failed/;
   * deferred: something outside the file failed (database down, disk full): it stays and is tried again;
   * waiting: it was still changing (`--once` only), left for the next run.
   */
  status: IngestSummary['status'] | 'failed' | 'deferred' | 'waiting';
  /** Where the file is now, relative to the inbox (archive/…, failed/…). */
  moved_to: string | null;
  summary?: IngestSummary;
  error?: string;
  warnings: string[];
  at: string;
}

/**
 * Errors that are the file's fault: moving it away is right. Anything else may pass; the file waits.
 * A fault of the database (a full disk, a refused commit) never is, whatever wraps it.
 */
function fileIsBad(err: unknown): boolean {
  return (err instanceof ScanRejectedError || err instanceof UsageError) && databaseFault(err) === null;
}

function vanished(err: unknown): boolean {
  const code = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
  return code(err) === 'ENOENT' || (err instanceof PortdeltaError && code(err.cause) === 'ENOENT');
}

function errorReport(e: InboxEntry, scanner: string | null, message: string, at: Date): string {
  return [
    'portdelta could not ingest this file; nothing of it was stored.',
    `file:    ${safeText(e.abs)}`,
    `scanner: ${scanner ?? '(none)'}`,
    `time:    ${at.toISOString()}`,
    '',
    message,
    '',
    'After fixing the cause, move the file back into the inbox folder of its scanner.',
    '',
  ].join('\n');
}

/** `--format` is no help for a file in the inbox: say what is. */
function inboxUnknownFormat(err: UnknownFormatError, e: InboxEntry): ScanRejectedError {
  const folder = e.folder ?? '<scanner>';
  return new ScanRejectedError(err.message, {
    file: err.file,
    code: err.code,
    remedy: `put the scanner's output into inbox/${folder}/ as the scanner wrote it (known formats: ${formatNames().join(', ')}); `
      + `one of those that was not recognised: convert it (portdelta convert --format FORMAT FILE > inbox/${folder}/NAME.csv); `
      + `other tools' results: write them as the uniform CSV (docs/formats.md)`,
  });
}

function scannerOf(e: InboxEntry, peek: Peek): string {
  if (e.folder !== null) {
    try {
      return checkScannerName(e.folder);
    } catch {
      throw new UsageError(`the folder name '${e.folder}' is not a scanner name`, `scanner folders use letters, digits, . _ - ; rename inbox/${e.folder}/`);
    }
  }
  if (peek.scanner) return peek.scanner;
  throw new ScanRejectedError('a file directly in the inbox must name its scanner (a uniform CSV #scanner= header), and this one does not', {
    file: e.abs,
    remedy: 'put the file into inbox/<scanner>/, e.g. inbox/scan-in/',
  });
}

export async function processEntry(db: Db, config: Config, inbox: string, e: InboxEntry, peek: Peek, now: () => Date): Promise<InboxResult | null> {
  const result = (r: Partial<InboxResult> & Pick<InboxResult, 'status'>): InboxResult =>
    ({ file: e.rel, scanner: null, moved_to: null, warnings: [], at: now().toISOString(), ...r });
  let scanner: string | null = e.folder;
  let summary: IngestSummary;
  try {
    if (!e.stat.isFile()) throw new ScanRejectedError('not a regular file (a symbolic link, device or pipe)', { file: e.abs, code: 'IO', remedy: 'upload the scan file itself' });
    scanner = scannerOf(e, peek);
    const { head, rest } = await openInput(e.abs, undefined, { strict: true, maxDecompressed: config.server.max_body });
    // A folder names the scanner (an upload key is bound to its folder); a top-level file's own header does.
    summary = await ingestStream(db, head, rest, { source: e.abs, scanner: e.folder ?? undefined, scanners: config.scanners });
  } catch (caught) {
    if (vanished(caught)) return null; // taken away meanwhile (renamed by the uploader, or by another process)
    const err = caught instanceof UnknownFormatError ? inboxUnknownFormat(caught, e) : caught;
    const message = describeError(err);
    if (!fileIsBad(err)) return result({ scanner, status: 'deferred', error: message });
    // Recorded before the move: if the database cannot take it, the file waits (deferred) and is tried again.
    if (scanner !== null) await recordFailure(db.knex, { scanner, source: e.abs, reason: message, at: now().getTime() });
    const moved = await fail(inbox, e, errorReport(e, scanner, message, now()));
    return result({ scanner, status: 'failed', error: message, moved_to: moved });
  }
  const warnings = [...summary.warnings];
  if (e.folder !== null && peek.scanner && peek.scanner !== e.folder) {
    warnings.unshift(`the file's header names scanner '${peek.scanner}'; it was ingested for '${e.folder}', the folder it was put in`);
  }
  const moved = await archive(inbox, e, now());
  return result({ scanner: summary.scanner, status: summary.status, summary, moved_to: moved, warnings });
}
