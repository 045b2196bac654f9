// --baseline REF (issue 17's "first load ≤ 0.6 × today's"): another commit of this repository,
// built once into OUT/baseline-<short>/ (a detached git worktree with the project's node_modules
// linked in, compiled as `npm run build` does) and reused by later runs. Never committed: OUT is
// bench-out/ by default, which .gitignore lists.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, log } from './common';

export interface Baseline {
  /** The ref as given, and the commit it names. */
  ref: string;
  sha: string;
  short: string;
  /** The worktree, and the CLI compiled in it. */
  dir: string;
  bin: string;
}

/** Written last into the worktree: a build without it was interrupted and is made again. */
const DONE = '.bench-baseline-built';

const git = (args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function commitOf(ref: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--baseline: '${ref}' is not a commit of ${ROOT} (git rev-parse): give a commit, branch or tag`);
  }
}

/** A fresh detached worktree of `sha` at `dir`, with node_modules linked to the project's. */
function addWorktree(dir: string, sha: string): void {
  if (fs.existsSync(dir)) {
    log(`  ${dir}: an unfinished build, made again`);
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  git(['worktree', 'add', '--detach', dir, sha]);
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
}

/** The baseline build of `ref` under `out`: reused when built already, else made (git worktree, tsc). */
export function prepareBaseline(ref: string, out: string): Baseline {
  const sha = commitOf(ref);
  const short = sha.slice(0, 10);
  const dir = path.join(out, `baseline-${short}`);
  const b: Baseline = { ref, sha, short, dir, bin: path.join(dir, 'dist', 'bin', 'portdelta.js') };
  if (fs.existsSync(path.join(dir, DONE)) && fs.existsSync(b.bin)) {
    log(`baseline ${ref} (${short}): reusing the build in ${dir}`);
    return b;
  }
  log(`baseline ${ref} (${short}): building it in ${dir} …`);
  addWorktree(dir, sha);
  const run = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', process.stderr, process.stderr] });
  };
  run('npx', ['tsc', '-p', 'tsconfig.json']);
  run(process.execPath, ['tools/copy-assets.js']);
  fs.writeFileSync(path.join(dir, DONE), `${sha}\n`);
  return b;
}
