// What every part of the bench shares: where the project is, the bench's scanner name, the log.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The project root: the nearest folder above with a package.json. Found, not fixed, because the
 * bench runs compiled from dist/bench/ and its modules are also imported uncompiled by the tests.
 */
function projectRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = projectRoot(__dirname);

// Unique per run: ingest takes a PostgreSQL advisory lock on the scanner *name*, which is
// database-wide (not per schema), so another run or test ingesting a scanner called 'bench' into
// another schema of the same database would otherwise make this run wait, and its times lie.
export const SCANNER = `bench-${process.pid}`;

/** Progress goes to stderr, so that stdout holds only the tables. */
export const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

/** The message of anything thrown. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
