// Runs `portdelta serve` as operators do and learns its URL from the "listening on" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './cli';

export interface Served {
  url: string;
  /** Everything the server logged so far (one line per request). */
  log(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number>;
}

export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        resolve({
          url: m[1],
          log: () => stderr,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`serve exited ${code} before listening:\n${stderr}`)), reject);
  });
}

/**
 * Waits until the server's log satisfies `ok` (its lines may trail the HTTP answer by a moment, and
 * by seconds on a busy machine); after `ms`, a hang guard, it returns the log as it is.
 */
export async function logWhen(s: Served, ok: (log: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  while (!ok(s.log()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return s.log();
}
