// An error thrown in the parse worker, carried to the main thread as plain data and made again
// there as the same class with the same fields, so callers (exit code 2, the inbox's failed/, the
// messages tests check) cannot tell where the parse ran.
import { PortdeltaError, ScanRejectedError, type ErrorCode } from '../common/errors';

export interface WireError {
  kind: 'rejected' | 'portdelta' | 'other';
  name: string;
  message: string;
  stack?: string;
  code?: string;
  remedy?: string;
  file?: string;
  position?: string;
  /** A Node system error's fields (EIO, …): parse-guard.ts tells them from content errors by these. */
  errno?: number;
  syscall?: string;
  path?: string;
  cause?: WireError;
}

export function toWire(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { kind: 'other', name: 'Error', message: String(err) };
  const e = err as Error & NodeJS.ErrnoException & Partial<ScanRejectedError>;
  const kind = err instanceof ScanRejectedError ? 'rejected' : err instanceof PortdeltaError ? 'portdelta' : 'other';
  const cause = e.cause === undefined || depth >= 3 ? undefined : toWire(e.cause, depth + 1);
  return {
    kind, name: e.name, message: e.message, stack: e.stack, code: typeof e.code === 'string' ? e.code : undefined,
    remedy: e.remedy, file: e.file, position: e.position, errno: e.errno, syscall: e.syscall, path: e.path, cause,
  };
}

export function fromWire(w: WireError): Error {
  const cause = w.cause === undefined ? undefined : fromWire(w.cause);
  let err: Error;
  if (w.kind === 'rejected') {
    err = new ScanRejectedError(w.message, { file: w.file, position: w.position, remedy: w.remedy, code: w.code as ErrorCode, cause });
  } else if (w.kind === 'portdelta') {
    err = new PortdeltaError(w.code as ErrorCode, w.message, { remedy: w.remedy, cause });
  } else {
    err = new Error(w.message, cause === undefined ? undefined : { cause });
    const fields = { code: w.code, errno: w.errno, syscall: w.syscall, path: w.path };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) Object.assign(err, { [k]: v });
  }
  err.name = w.name;
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}
