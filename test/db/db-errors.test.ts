// Which errors are the database's fault (the inbox keeps the file) and how they are said: one line,
// the database's reason without knex's SQL, a full SQLite disk with its free space.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseError, databaseFault, databaseReason } from '../../db/db-errors';
import { sqlite } from '../../db/dialects/sqlite';
import { PortdeltaError, ScanRejectedError, UsageError } from '../../common/errors';

const coded = (code: string, message = `${code} happened`, extra: object = {}) => Object.assign(new Error(message), { code, ...extra });

test.each([
  ['SQLite full disk', 'disk-full', coded('SQLITE_FULL', 'COMMIT; - SQLITE_FULL: database or disk is full')],
  ['no space left', 'disk-full', coded('ENOSPC')],
  ['PostgreSQL disk_full', 'disk-full', coded('53100', 'could not extend file', { severity: 'ERROR' })],
  ['SQLite I/O error', 'io', coded('SQLITE_IOERR', 'SQLITE_IOERR: disk I/O error')],
  ['SQLite busy', 'locked', coded('SQLITE_BUSY')],
  ['PostgreSQL lock timeout', 'locked', coded('55P03', 'canceling statement due to lock timeout', { severity: 'ERROR' })],
  ['connection refused', 'unreachable', coded('ECONNREFUSED')],
  ['server shut down', 'unreachable', coded('57P01', 'terminating connection due to administrator command', { severity: 'FATAL' })],
  ['a trigger raising at COMMIT', 'database', coded('P0001', 'COMMIT - refused', { severity: 'ERROR' })],
  ['our database error', 'disk-full', new PortdeltaError('DATABASE', 'could not store', { cause: coded('SQLITE_FULL') })],
  ['a bad file wrapping a failed write', 'disk-full', new ScanRejectedError('reader failed', { cause: coded('SQLITE_FULL') })],
  ['a bad file', null, new ScanRejectedError('the file is empty')],
  ['a usage error', null, new UsageError('unknown format')],
  ['a plain error', null, new Error('boom')],
])('%s: %p', (_what, kind, err) => {
  expect(databaseFault(err)).toBe(kind);
});

test('the reason is the database message on one line, without the statement', () => {
  const err = coded('SQLITE_CONSTRAINT', 'insert into `scans` (`a`, `b`) values (1, 2)\n  returning `id` - SQLITE_CONSTRAINT: UNIQUE constraint failed: scans.sha256');
  expect(databaseReason(err)).toBe('UNIQUE constraint failed: scans.sha256');
  const pg = coded('23505', 'insert into "scans" ("a") values ($1) - duplicate key value violates unique constraint "scans_sha"\nDETAIL: more', { severity: 'ERROR' });
  expect(databaseReason(pg)).toBe('duplicate key value violates unique constraint "scans_sha"');
});

test('a full SQLite disk is said with the free space of the database\'s file system, and a remedy naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-dberr-'));
  try {
    const s = fs.statfsSync(dir);
    const e = databaseError('could not store the scan', coded('SQLITE_FULL', 'COMMIT; - SQLITE_FULL: database or disk is full'), { dialect: sqlite, where: path.join(dir, 'p.sqlite') });
    expect(e.message).toMatch(new RegExp(`^could not store the scan: disk full: \\d+ bytes free on the file system of ${dir}$`));
    expect(Number(/(\d+) bytes/.exec(e.message)![1])).toBeLessThanOrEqual(s.blocks * s.bsize);
    expect(e.remedy).toBe(`free space on the file system of ${dir}, then run it again`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
