// nmap's ndiff over the same pair of nights: the yardstick the night-2 ingest is compared with.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { log } from './common';
import { fmt, obsOf } from './format';
import type { NightInfo } from './generate';
import { measure, type Measured } from './measure';
import type { StepResult } from './results';

/** ndiff's path, or null when it is not installed. */
export function whichNdiff(): string | null {
  for (const p of ['/usr/bin/ndiff', '/usr/local/bin/ndiff']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v ndiff'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Runs ndiff on night1/night2 of one size; appends its table row. Returns its measurement when it
 * succeeded (the ratio targets need it), else null; also null when ndiff is not installed.
 */
export async function runNdiff(size: number, dir: string, nights: readonly NightInfo[], results: StepResult[]): Promise<Measured | null> {
  const ndiff = whichNdiff();
  if (!ndiff) {
    log(`/${size}: ndiff is not installed (apt-get install ndiff): no comparison`);
    return null;
  }
  log(`/${size}: ndiff night1.xml night2.xml`);
  const r = await measure(ndiff, [path.join(dir, nights[1].file), path.join(dir, nights[2].file)], { captureStdout: false });
  // ndiff exits 0 (same) or 1 (differences); 2 is an error
  const ok = r.code === 0 || r.code === 1;
  results.push({
    size, db: '-', step: 'ndiff night1 night2', wall: r.wall, cpu: r.cpu, rssMb: r.rssMb, bytes: nights[1].bytes + nights[2].bytes,
    obs: obsOf(nights[1]) + obsOf(nights[2]), changes: null, check: ok ? '-' : `ndiff failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`,
  });
  log(`  ${fmt(r.wall)} s, ${fmt(r.rssMb, 0)} MB RSS${ok ? '' : ` — exit ${r.code}`}`);
  return ok ? r : null;
}
