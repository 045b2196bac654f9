// The scan file as the ingest takes it: which agent reads it (by --format or by its content), in
// which encoding, whose scanner it is, and its bytes on their way to the parser, hashed and
// counted as they stream. Commands that only name a format or a scanner (convert, diff, cleanup)
// need this much of the ingest, not the rest.
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { byName, detect, formatNames } from '../input-agents/registry';
import type { InputAgent } from '../input-agents/types';
import { fileEncoding, type FileEncoding } from '../input-agents/text-encoding';
import { ScanRejectedError, UsageError } from '../common/errors';

export const DEFAULT_SCANNER = 'default';

/** The agent --format names; throws a usage error for an unknown name. */
export function agentByName(format: string): InputAgent {
  const agent = byName(format);
  if (!agent) throw new UsageError(`unknown format '${format}'`, `use one of: ${formatNames().join(', ')}`);
  return agent;
}

const SCANNER_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

export function checkScannerName(name: string): string {
  if (!SCANNER_NAME.test(name)) throw new UsageError(`'${name}' is not a scanner name`, 'scanner names use letters, digits, . _ - (at most 200)');
  return name;
}

export function pickAgent(format: string | undefined, head: Buffer, source: string): InputAgent {
  if (head.length === 0) {
    throw new ScanRejectedError('the file is empty', { file: source, remedy: 'check that the scanner finished writing it; an empty file holds no scan' });
  }
  if (!format) return detect(head, source);
  fileEncoding(head, source); // --format names the format, not the encoding: UTF-16 is still refused
  return agentByName(format);
}

/** The input agent and the text encoding, from the file's head; on a refusal the rest of the file is let go. */
export function readerFor(head: Buffer, rest: Readable, opts: { format?: string; source: string }): { agent: InputAgent; encoding: FileEncoding } {
  try {
    return { agent: pickAgent(opts.format, head, opts.source), encoding: fileEncoding(head, opts.source) };
  } catch (err) {
    rest.destroy(); // it may hold the file's descriptor
    throw err;
  }
}

/** The file on its way to the parser: hashed and counted as it streams. */
export interface Feed {
  input: PassThrough;
  /** True when the whole file fitted the read-ahead buffer before the parse took any of it. */
  small: Promise<boolean>;
  /** Resolves once the whole file has been read; rejects with the read error. */
  done: Promise<void>;
  readError(): unknown;
  bytes(): number;
  sha256(): string;
}

export function hashing(head: Buffer, rest: Readable, onProgress: (bytes: number) => void): Feed {
  const hash = createHash('sha256');
  let bytes = 0;
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  let fits!: (small: boolean) => void;
  const small = new Promise<boolean>((resolve) => (fits = resolve));
  const done = (async () => {
    hash.update(head);
    input.write(Buffer.from(head)); // a copy: the parse worker may be handed it, and the head is the caller's
    bytes = head.length;
    for await (const chunk of rest) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      onProgress(bytes);
      if (!input.write(chunk)) {
        fits(false);
        await new Promise((r) => input.once('drain', r));
      }
    }
    input.end();
    fits(true);
  })();
  let readError: unknown;
  done.catch((e) => {
    readError = e;
    fits(true); // the parse here raises it, as it always has
    input.destroy(e);
  });
  // The parse may not be reading yet (a gzip file can fail while the transaction opens): the error
  // must not go unhandled. It is raised all the same, by the parse or by `await feed.done`.
  input.on('error', () => undefined);
  return { input, small, done, readError: () => readError, bytes: () => bytes, sha256: () => hash.digest('hex') };
}
