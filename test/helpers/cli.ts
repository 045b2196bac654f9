// Runs the CLI and captures what it says. cli() calls main(argv, io) in this process (no Node
// start-up, no reloading of knex and the drivers per command); spawnCli() runs the compiled
// dist/bin/portdelta.js as operators do (npm test builds dist/ first), for what only a real process
// shows: exit codes and start-up (test/cli/process.test.ts), prlimit, another uid, signals, and two
// commands racing each other.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../cli/main';
import type { Io } from '../../cli/io';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'dist/bin/portdelta.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');
export const SCANS = path.join(FIXTURES, 'scans');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string | Buffer;
  /** Added to the test's environment; PORTDELTA_CONFIG and PORTDELTA_DB start empty. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SpawnOptions extends CliOptions {
  /** A command that runs the CLI, e.g. ['prlimit', '--fsize=N']. */
  wrap?: string[];
  /** Run as another user (the test runs as root), as a service account would. */
  uid?: number;
  gid?: number;
}

const commandEnv = (env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv => ({ ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '', ...env });

let running: string | null = null;

/**
 * `portdelta ARGS` in-process. The command gets its env, directory and stdin through io; the layers
 * below that still read process.env (PORTDELTA_NOW, PORTDELTA_LOCK_WAIT_MS, PORTDELTA_DEBUG, a
 * hook's passed variables) and open relative paths against process.cwd(), so for the length of
 * the call process.env is the command's environment and the directory is opts.cwd (ROOT by
 * default, as for a spawned command). That is why two calls may not overlap: use spawnCli for
 * commands that run at the same time. Node's own modules read the worker's real environment, not
 * jest's process.env (os.tmpdir() and TMPDIR): a test that sets such a variable needs spawnCli, as
 * does one whose command is killed (a hook that kills its parent) or must wait for a signal (serve).
 */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const given = opts as SpawnOptions;
  if (given.wrap !== undefined || given.uid !== undefined || given.gid !== undefined) throw new Error('cli(): wrap/uid/gid need a real process: use spawnCli()');
  if (running !== null) {
    throw new Error(`cli(${args.join(' ')}) started while cli(${running}) is still running: in-process commands share process.env and the directory, so they cannot overlap; run commands that must race with spawnCli()`);
  }
  running = args.join(' ');
  const env = commandEnv(opts.env);
  const cwd = opts.cwd ?? ROOT;
  const saved = { env: process.env, cwd: process.cwd(), exitCode: process.exitCode, sigterm: process.listenerCount('SIGTERM'), sigint: process.listenerCount('SIGINT') };
  const { io, said } = capturedIo(env, cwd, opts.input);
  let code: number;
  try {
    process.env = env;
    process.chdir(cwd);
    try {
      code = await main(args, io);
    } catch (err) {
      // What bin/portdelta.ts does with a rejection main let through.
      io.err(`portdelta: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      code = 2;
    }
  } finally {
    process.env = saved.env;
    process.chdir(saved.cwd);
    running = null;
  }
  // A process would have reset these; in-process, a command must leave them as it found them.
  if (process.exitCode !== saved.exitCode) throw new Error(`portdelta ${args.join(' ')} set process.exitCode (only bin/ may)`);
  if (process.listenerCount('SIGTERM') !== saved.sigterm || process.listenerCount('SIGINT') !== saved.sigint) {
    throw new Error(`portdelta ${args.join(' ')} left a signal handler installed`);
  }
  return { code, ...said };
}

/** An Io that keeps what a command says, for in-process runs; not a terminal. */
export function capturedIo(env: NodeJS.ProcessEnv = commandEnv(undefined), cwd = ROOT, input?: string | Buffer): { io: Io; said: { stdout: string; stderr: string } } {
  const said = { stdout: '', stderr: '' };
  const io: Io = {
    out: (t) => void (said.stdout += t),
    err: (t) => void (said.stderr += t),
    isTTY: false,
    env,
    cwd,
    stdin: Readable.from(input === undefined || input.length === 0 ? [] : [Buffer.from(input)], { objectMode: false }),
    progress: { isTTY: false, columns: 80, write: () => true },
  };
  return { io, said };
}

/** `portdelta ARGS` as its own process: dist/bin/portdelta.js under node (build dist/ first). */
export function spawnCli(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...argv] = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
    const child = spawn(cmd, argv, {
      cwd: opts.cwd ?? ROOT,
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid }),
      env: commandEnv(opts.env),
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

function parsed<T>(args: string[], r: CliResult): T {
  if (r.code !== 0) throw new Error(`portdelta ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a command that must succeed with --json (in-process) and returns the parsed output. */
export async function cliJson<T = unknown>(args: string[], opts: CliOptions = {}): Promise<T> {
  return parsed<T>(args, await cli([...args, '--json'], opts));
}
