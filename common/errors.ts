// One base error with a code; subclasses only where a caller branches on them (STYLE.md).
import { safeLines, safeText } from './safe-text';

export type ErrorCode =
  | 'BAD_INPUT'
  | 'UNKNOWN_FORMAT'
  | 'HOSTILE_INPUT'
  | 'CONFIG'
  | 'USAGE'
  | 'DATABASE'
  | 'IO'
  | 'DELIVERY'
  | 'INTERNAL';

export class PortdeltaError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it; printed after the message. */
  readonly remedy?: string;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; remedy?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.remedy = opts.remedy;
  }
}

/** A whole file cannot be read: truncated beyond repair, hostile, malformed. Nothing of it is stored. */
export class ScanRejectedError extends PortdeltaError {
  readonly file?: string;
  readonly position?: string;
  constructor(message: string, opts: { file?: string; position?: string; remedy?: string; cause?: unknown; code?: ErrorCode } = {}) {
    super(opts.code ?? 'BAD_INPUT', message, opts);
    this.file = opts.file;
    this.position = opts.position;
  }
}

export class UnknownFormatError extends ScanRejectedError {
  constructor(file: string, known: readonly string[]) {
    super('the content matches none of the known formats', {
      file,
      code: 'UNKNOWN_FORMAT',
      remedy: `give --format with one of: ${known.join(', ')}, or write the results as the uniform CSV (docs/formats.md)`,
    });
  }
}

export class ConfigError extends PortdeltaError {
  readonly problems: string[];
  /** `what` names the kind of file ('configuration', 'policy') at the start of the message. */
  constructor(file: string, problems: string[], remedy = 'fix the listed keys; docs/configuration.md describes each one', what = 'configuration') {
    super('CONFIG', `${what} ${file} is invalid:\n  ${problems.join('\n  ')}`, { remedy });
    this.problems = problems;
  }
}

/**
 * The store a command reads is not there ('missing': no file, no PostgreSQL database) or holds no
 * portdelta schema ('no-schema'). The CLI adds where the location came from (--db, PORTDELTA_DB, …).
 */
export class DatabaseAbsentError extends PortdeltaError {
  readonly reason: 'missing' | 'no-schema';
  readonly where: string;
  constructor(reason: 'missing' | 'no-schema', where: string, cause?: unknown, text: { message?: string; remedy?: string } = {}) {
    super('DATABASE', text.message ?? (reason === 'missing' ? `no database at ${where}` : `the database at ${where} has no portdelta schema (no portdelta tables in it)`), {
      cause,
      remedy: text.remedy ?? 'check the database location; to start a new database there run `portdelta migrate` (or `portdelta ingest` a scan)',
    });
    this.reason = reason;
    this.where = where;
  }
}

/**
 * An output agent could not deliver (a peer refused, a hook failed, a file could not be written).
 * Every kind throws it with a remedy; the runner branches on it for `deliveredIds`: the changes that
 * went out before the failure stay delivered, every other change of the batch goes out next run.
 */
export class DeliveryError extends PortdeltaError {
  readonly deliveredIds: number[];
  constructor(message: string, opts: { remedy: string; cause?: unknown; deliveredIds?: number[] }) {
    super('DELIVERY', message, opts);
    this.deliveredIds = opts.deliveredIds ?? [];
  }
}

export class UsageError extends PortdeltaError {
  constructor(message: string, remedy?: string) {
    super('USAGE', message, { remedy });
  }
}

/**
 * Formats any error for a person: message, where, and what to do. Messages quote what a file or a
 * peer sent, so control and bidi characters are shown escaped; only a ConfigError's own line
 * breaks (one problem a line) stay.
 */
export function describeError(err: unknown): string {
  const remedy = (r?: string): string => (r ? `\n  remedy: ${safeText(r)}` : '');
  if (err instanceof ScanRejectedError) {
    const where = [err.file, err.position].filter(Boolean).map(safeText).join(': ');
    return `${where ? where + ': ' : ''}${safeText(err.message)}${remedy(err.remedy)}`;
  }
  if (err instanceof ConfigError) return `${safeLines(err.message)}${remedy(err.remedy)}`;
  if (err instanceof PortdeltaError) return `${safeText(err.message)}${remedy(err.remedy)}`;
  if (err instanceof Error) return safeText(err.message);
  return safeText(String(err));
}
