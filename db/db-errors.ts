// A database failure as an operator reads it: what portdelta was doing and the database's own
// words, without the SQL knex puts in front of them, and what to do about it.
import { PortdeltaError } from '../common/errors';
import { lockWaitMs } from './lock-wait';

export const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', '55P03', '40P01', '57014']);
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|08\w{3}|57P0[1-3])$/;

/** The database's message without the statement: knex writes "<sql> - <message>". */
export function databaseReason(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const sqlite = raw.indexOf(' - SQLITE_');
  const cut = sqlite >= 0 ? sqlite : raw.lastIndexOf(' - ');
  return (cut >= 0 ? raw.slice(cut + 3) : raw).replace(/^SQLITE_[A-Z_]+: /, '').trim();
}

export function databaseRemedy(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (LOCKED.has(code)) {
    return `another process (an ingest, watch or cleanup) held the database longer than the ${lockWaitMs() / 1000} s a write waits; `
      + 'run it again when that is done, or schedule it after the ingest';
  }
  if (UNREACHABLE.test(code)) return 'check that the database server runs and is reachable, then run it again';
  return 'check the database (portdelta migrate, free disk space, file permissions), then run it again';
}

/** `doing` ("could not claim changes") with the database's reason; a PortdeltaError passes through. */
export function databaseError(doing: string, err: unknown): PortdeltaError {
  if (err instanceof PortdeltaError) return err;
  return new PortdeltaError('DATABASE', `${doing}: ${databaseReason(err)}`, { cause: err, remedy: databaseRemedy(err) });
}
