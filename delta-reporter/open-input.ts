// Reads the head of a file or of stdin for sniffing, and hands back a stream of the rest.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { ScanRejectedError } from '../common/errors';

export const HEAD_BYTES = 64 * 1024;

export interface OpenedInput {
  head: Buffer;
  rest: Readable;
  /** Bytes in all, when known (a file, not a pipe). */
  size: number | null;
}

export interface OpenOptions {
  /**
   * For files nobody named on a command line (the inbox): a symbolic link is refused rather than
   * followed, a FIFO is refused rather than waited on (O_NONBLOCK), and only a regular file is read.
   * The type is judged on the open descriptor, so a file swapped after the inbox was listed cannot
   * slip through.
   */
  strict?: boolean;
}

/** Opens a file for reading; refuses, with the reason, what `strict` does not allow. */
export async function openFile(file: string, opts: OpenOptions = {}): Promise<{ fh: fs.promises.FileHandle; stat: fs.Stats }> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, opts.strict ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK : 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (opts.strict && code === 'ELOOP') throw new ScanRejectedError('a symbolic link, not a file', { file, code: 'IO', remedy: 'upload the scan file itself', cause: e });
    throw new ScanRejectedError(code === 'ENOENT' ? 'no such file' : `cannot open the file (${code})`, {
      file,
      code: 'IO',
      remedy: code === 'ENOENT' ? 'check the path' : 'check the permissions',
      cause: e,
    });
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw new ScanRejectedError('is a directory', { file, code: 'IO', remedy: 'give the scan files inside it' });
    if (opts.strict && !stat.isFile()) throw new ScanRejectedError('not a regular file (a pipe, device or socket)', { file, code: 'IO', remedy: 'upload the scan file itself' });
    return { fh, stat };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** The head and a stream of the rest, both read from one descriptor (never the path again). */
export async function openInput(file: string, stdin: Readable = process.stdin, opts: OpenOptions = {}): Promise<OpenedInput> {
  if (file === '-') return splitHead(stdin);
  const { fh, stat } = await openFile(file, opts);
  let streaming = false;
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (bytesRead >= stat.size) return { head, rest: Readable.from([]), size: stat.size };
    streaming = true; // the stream closes the descriptor when it ends or is destroyed
    return { head, rest: fh.createReadStream({ start: bytesRead, highWaterMark: 1 << 20 }), size: stat.size };
  } finally {
    if (!streaming) await fh.close();
  }
}

async function splitHead(stream: Readable): Promise<OpenedInput> {
  const it = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  while (size < HEAD_BYTES) {
    const { value, done } = await it.next();
    if (done) break;
    const b = Buffer.isBuffer(value) ? value : Buffer.from(value as string);
    parts.push(b);
    size += b.length;
  }
  const head = Buffer.concat(parts);
  async function* remaining() {
    for (;;) {
      const { value, done } = await it.next();
      if (done) return;
      yield value as Buffer;
    }
  }
  return { head, rest: Readable.from(remaining()), size: null };
}
