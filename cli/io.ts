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
}

/** Exit codes are an API (DESIGN §5). */
export const EXIT = Object.freeze({ ok: 0, changesFound: 1, error: 2 });
