// A database failure as an operator reads it: what portdelta was doing and the database's own
// words, without the SQL knex puts in front of them, and what to do about it. The statement itself
// goes to stderr only with PORTDELTA_DEBUG=1.
import fs from 'node:fs';
import path from 'node:path';
import { PortdeltaError } from '../common/errors';
import { lockWaitMs } from './lock-wait';
import type { Dialect } from './dialects/types';

const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', '55P03', '40P01', '57014']);
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|08\w{3}|57P0[1-3])$/;
const FULL = /^(SQLITE_FULL|ENOSPC|53100)$/;
const IO = /^(SQLITE_IOERR\w*|EIO|58030)$/;

/** Where the data lives, as Db says it: for SQLite the file, whose file system a full disk names. */
export interface DbPlace {
  readonly dialect: Dialect;
  readonly where: string;
}

/**
 * What kind of fault of the database (not of the input) an error is, or null when it is none:
 * the inbox keeps a file for a database fault and tries it again, and never blames the file.
 */
export type DatabaseFault = 'disk-full' | 'io' | 'locked' | 'unreachable' | 'database';

const codeOf = (err: unknown): string => String((err as { code?: unknown } | undefined)?.code ?? '');

export function databaseFault(err: unknown): DatabaseFault | null {
  // Ours: a database error, or another whose cause is one (a reader's error wrapping a failed write).
  if (err instanceof PortdeltaError) return err.code === 'DATABASE' ? databaseFault(err.cause) ?? 'database' : databaseFault(err.cause);
  const code = codeOf(err);
  if (FULL.test(code)) return 'disk-full';
  if (IO.test(code)) return 'io';
  if (LOCKED.has(code)) return 'locked';
  if (UNREACHABLE.test(code)) return 'unreachable';
  // SQLite's own codes and PostgreSQL's SQLSTATE (the pg driver's errors carry a severity).
  if (/^SQLITE_/.test(code) || (err as { severity?: unknown } | undefined)?.severity !== undefined) return 'database';
  if (err instanceof Error && err.name === 'KnexTimeoutError') return 'unreachable';
  return null;
}

/** Bytes an unprivileged writer may still use on the file system of `dir`; null when unknown. */
function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** The folder of the database's local file (SQLite), whose file system a full disk is about; null for a server. */
function fileDir(at?: DbPlace): string | null {
  const file = at?.dialect.localFile(at.where) ?? null;
  return file === null ? null : path.dirname(file);
}

/** A SQLite file's full or failing disk, said with its free space; null when it is not that. */
export function diskCause(err: unknown, at?: DbPlace): string | null {
  const dir = fileDir(at);
  if (dir === null) return null;
  const fault = databaseFault(err);
  if (fault !== 'disk-full' && fault !== 'io') return null;
  const free = freeBytes(dir);
  // A full disk often shows as an I/O error (the shared-memory file cannot be made).
  if (fault === 'io' && free !== 0) return null;
  return `disk full: ${free ?? 'unknown'} bytes free on the file system of ${dir}`;
}

/** The database's message without the statement: knex writes "<sql> - <message>". */
export function databaseReason(err: unknown, at?: DbPlace): string {
  const disk = diskCause(err, at);
  if (disk) return disk;
  const raw = err instanceof Error ? err.message : String(err);
  const sqlite = raw.indexOf(' - SQLITE_');
  const cut = sqlite >= 0 ? sqlite : raw.lastIndexOf(' - ');
  const reason = (cut >= 0 ? raw.slice(cut + 3) : raw).replace(/^SQLITE_[A-Z_]+: /, '').trim();
  return reason.split('\n')[0];
}

export function databaseRemedy(err: unknown, at?: DbPlace): string {
  const code = codeOf(err);
  if (LOCKED.has(code)) {
    return `another process (an ingest, watch or cleanup) held the database longer than the ${lockWaitMs() / 1000} s a write waits; `
      + 'run it again when that is done, or schedule it after the ingest';
  }
  if (UNREACHABLE.test(code)) return 'check that the database server runs and is reachable, then run it again';
  if (diskCause(err, at)) return `free space on the file system of ${fileDir(at)}, then run it again`;
  if (databaseFault(err) === 'disk-full') return 'free space on the database server\'s disk, then run it again';
  return 'check the database (portdelta migrate, free disk space, file permissions), then run it again';
}

/**
 * `doing` ("could not claim changes") with the database's reason; a PortdeltaError passes through.
 * The database's whole message (with its SQL) is written to stderr with PORTDELTA_DEBUG=1.
 */
export function databaseError(doing: string, err: unknown, at?: DbPlace): PortdeltaError {
  if (err instanceof PortdeltaError) return err;
  if (process.env.PORTDELTA_DEBUG) process.stderr.write(`portdelta: database: ${err instanceof Error ? err.message : String(err)}\n`);
  return new PortdeltaError('DATABASE', `${doing}: ${databaseReason(err, at)}`, { cause: err, remedy: databaseRemedy(err, at) });
}
