// What a command takes from its process: where it writes, what it reads, its environment and
// directory. bin/ hands over the real ones (processIo); tests run commands in-process with their own
// (test/helpers/cli.ts), so a command reads these from io, never from `process` directly.
import type { Readable } from 'node:stream';

/** Where the ingest progress line goes: stderr, drawn only when it is a terminal (cli/progress.ts). */
export type ProgressStream = Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'write'>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (progress and colours only then). */
  readonly isTTY: boolean;
  /** The environment the command sees: PORTDELTA_DB, PORTDELTA_CONFIG, ${VAR} in the config, … */
  readonly env: NodeJS.ProcessEnv;
  /** The directory the command runs in (relative paths count from the process's own, which is this one). */
  readonly cwd: string;
  /** What `-` reads (ingest -, convert -). */
  readonly stdin: Readable;
  readonly progress: ProgressStream;
}

/** The process's own (bin/ only): a function, since touching process.stdin opens it. */
export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: !!process.stdout.isTTY,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    progress: process.stderr,
  };
}

export interface GlobalOptions {
  db?: string;
  config?: string;
  json?: boolean;
  /** Set by main from the command's declaration (cli/commands.ts), not by the user. */
  access?: CommandAccess;
  /** Set by main from io: the environment and directory the command runs with (process's when absent). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What a command does with the store and which configuration keys it reads (cli/commands.ts). */
export interface CommandAccess {
  command: string;
  /** create: may create and migrate the store; write: needs it, may migrate; read: needs it, read-only. */
  db?: 'create' | 'write' | 'read';
  /** Top-level configuration keys the command reads: only their ${VAR}s are resolved (and must be set). */
  uses?: readonly string[];
}

/** A command's entry point: it returns its exit code (only bin/ exits). */
export type Action = (args: string[], opts: Record<string, unknown>, global: GlobalOptions, io: Io) => Promise<number>;

/** Exit codes are an API (DESIGN §5). */
export const EXIT = Object.freeze({ ok: 0, changesFound: 1, error: 2 });
