// Runs the compiled CLI as operators do (npm test builds dist/ first) and captures what it says.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'dist/bin/portdelta.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');
export const SCANS = path.join(FIXTURES, 'scans');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * wrap: a command that runs the CLI, e.g. ['prlimit', '--fsize=N'].
 * uid/gid: run as another user (the test runs as root), as a service account would.
 */
export function cli(
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; wrap?: string[]; uid?: number; gid?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...argv] = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
    const child = spawn(cmd, argv, {
      cwd: opts.cwd ?? ROOT,
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid }),
      env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command that must succeed with --json and returns the parsed output. */
export async function cliJson<T = unknown>(args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<T> {
  const r = await cli([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`portdelta ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
