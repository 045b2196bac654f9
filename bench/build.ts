// The build under test: a snapshot of dist/ taken at the start, so that a rebuild by someone else
// during a long run cannot mix two versions into one table.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './common';

export interface Build {
  /** The compiled tree measured (the snapshot, or --dist itself). */
  dist: string;
  /** dist/bin/portdelta.js inside it. */
  bin: string;
  /** Where it was copied from. */
  from: string;
  /** sha-256 of the compiled JS (first 12 hex digits). */
  digest: string;
  /** The newest compiled file's time, ISO. */
  builtAt: string;
}

/** Digest of every .js under `dist` (paths and contents, in name order) and the newest source time. */
function fingerprint(dist: string, src: string): { digest: string; newest: number } {
  const hash = createHash('sha256');
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.js')) {
        hash.update(f.slice(dist.length)).update(fs.readFileSync(f));
        newest = Math.max(newest, fs.statSync(path.join(src, path.relative(dist, f))).mtimeMs);
      }
    }
  };
  walk(dist);
  return { digest: hash.digest('hex').slice(0, 12), newest };
}

/**
 * Copies the build to OUT/dist-<pid>, with a link to the project's node_modules/, and measures that copy; --dist DIR measures DIR itself. The copy is removed at exit.
 */
export function snapshotDist(opts: { dist?: string; out: string }): Build {
  const src = opts.dist ?? path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(src, 'bin', 'portdelta.js'))) throw new Error(`${path.join(src, 'bin', 'portdelta.js')} is missing: run npm run build (npm run bench does)`);
  let dist = src;
  if (!opts.dist) {
    const copy = path.join(opts.out, `dist-${process.pid}`);
    fs.rmSync(copy, { recursive: true, force: true });
    fs.cpSync(src, copy, { recursive: true, filter: (f) => !f.endsWith('.map') });
    // so that its requires find the packages wherever --out puts it (rmSync removes the link, not them)
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(copy, 'node_modules'));
    process.on('exit', () => fs.rmSync(copy, { recursive: true, force: true }));
    dist = copy;
  }
  const { digest, newest } = fingerprint(dist, src);
  return { dist, bin: path.join(dist, 'bin', 'portdelta.js'), from: src, digest, builtAt: new Date(newest).toISOString() };
}
