// Where commands write, so tests can run them in-process and bin/ can hand them the real streams.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (progress and colours only then). */
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
};

export interface GlobalOptions {
  db?: string;
  config?: string;
  json?: boolean;
  /** Set by main from the command's declaration (cli/commands.ts), not by the user. */
  access?: CommandAccess;
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
