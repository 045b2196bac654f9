// Measuring a child process: wall time here, peak RSS and CPU from /usr/bin/time (or rss.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './common';
import type { RssFigures } from './rss';

export const TIME = '/usr/bin/time';
export const hasTime = fs.existsSync(TIME);

export interface Measured {
  /** Exit code; -1 when stopped by the timeout, null when ended by a signal. */
  code: number | null;
  timedOut: boolean;
  /** Seconds from spawn to exit, start-up included. */
  wall: number;
  rssMb: number | null;
  /** User + system seconds of the process. */
  cpu: number | null;
  stdout: string;
  stderr: string;
}

interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  captureStdout?: boolean;
  /** A node child: without /usr/bin/time its figures come from preloading rss.js. */
  nodeChild?: boolean;
  /** Seconds after which the process (group) is killed; 0 = never. */
  timeoutS?: number;
  /** Called once the process is started (a server the caller talks to, then stops). */
  onSpawn?: (child: ChildProcess) => void;
}

/** RSS and CPU from the figures file: /usr/bin/time's "%e %M %U %S" line, or rss.js's JSON. */
function readFigures(tmp: string): { rssMb: number | null; cpu: number | null } {
  try {
    const text = fs.readFileSync(tmp, 'utf8');
    if (hasTime) {
      const line = (text.trim().split('\n').pop() ?? '').trim().split(/\s+/).map(Number);
      if (line.length === 4 && line.every(Number.isFinite)) return { rssMb: line[1] / 1024, cpu: line[2] + line[3] };
    } else {
      const j = JSON.parse(text) as RssFigures;
      return { rssMb: j.maxRssKb / 1024, cpu: j.userS + j.systemS };
    }
  } catch {
    /* no figures */
  }
  return { rssMb: null, cpu: null };
}

/** The command line to spawn, wrapped so that its figures land in `tmp`. */
function wrap(cmd: string, args: readonly string[], tmp: string, nodeChild: boolean, env: NodeJS.ProcessEnv): [string, string[]] {
  if (hasTime) return [TIME, ['-f', '%e %M %U %S', '-o', tmp, cmd, ...args]];
  if (nodeChild) {
    env.BENCH_RSS_FILE = tmp;
    return [cmd, ['-r', path.join(__dirname, 'rss.js'), ...args]];
  }
  return [cmd, [...args]];
}

/** Kills the child's whole process group (so /usr/bin/time and what it runs stop together). */
function killGroup(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Runs a command to its end. Wall time is taken here (spawn to exit, so it includes start-up);
 * peak RSS and CPU come from /usr/bin/time, or for node children from rss.js when it is missing.
 */
export function measure(cmd: string, args: readonly string[], opts: MeasureOptions = {}): Promise<Measured> {
  const { env = {}, cwd = ROOT, captureStdout = true, nodeChild = false, timeoutS = 0, onSpawn } = opts;
  const tmp = path.join(os.tmpdir(), `pd-bench-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORTDELTA_DB: '', ...env };
  const [file, argv] = wrap(cmd, args, tmp, nodeChild, childEnv);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // its own process group, so a timeout stops /usr/bin/time and the command it runs together
    const child = spawn(file, argv, { cwd, env: childEnv, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'], detached: true });
    let timedOut = false;
    const timer = timeoutS > 0
      ? setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutS * 1000)
      : null;
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    onSpawn?.(child);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const { rssMb, cpu } = readFigures(tmp);
      fs.rmSync(tmp, { force: true });
      resolve({ code: timedOut ? -1 : code, timedOut, wall, rssMb, cpu, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
    });
  });
}

/** A node child (this node binary), measured. */
export function node(args: readonly string[], opts: MeasureOptions = {}): Promise<Measured> {
  return measure(process.execPath, args, { ...opts, nodeChild: true });
}
