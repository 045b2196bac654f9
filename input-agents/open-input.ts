// Reads the head of a file or of stdin for sniffing, and hands back a stream of the rest; gzip
// (judged by its magic bytes) is decompressed on the way, up to a limit.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { ScanRejectedError } from '../common/errors';
import { gunzipLimited, isGzip } from './gunzip';

/** The most a gzip file may unpack to, and the largest upload `serve` takes (`server.max_body`). */
export const DEFAULT_MAX_BODY = 256 * 1024 * 1024;

export const HEAD_BYTES = 64 * 1024;

export interface OpenedInput {
  head: Buffer;
  rest: Readable;
  /** Bytes in all, when known (a file, not a pipe, not gzip). */
  size: number | null;
  /** The file was gzip: head and rest are its decompressed content. */
  gzip: boolean;
}

export interface OpenOptions {
  /**
   * For files nobody named on a command line (the inbox): a symbolic link is refused rather than
   * followed, a FIFO is refused rather than waited on (O_NONBLOCK), and only a regular file is read.
   * The type is judged on the open descriptor, so a file swapped after the inbox was listed cannot
   * slip through.
   */
  strict?: boolean;
  /** Largest decompressed size of a gzip file (server.max_body, the limit `serve` puts on uploads). */
  maxDecompressed?: number;
}

/** What a file that is not a regular file is, for the message. */
function kind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function notRegular(file: string, stat: fs.Stats, strict: boolean): ScanRejectedError {
  const remedy = stat.isDirectory() ? 'give the scan files inside it'
    : strict ? 'upload the scan file itself' : "give the scan file itself, or pipe the data to stdin and give '-' as the file name";
  return new ScanRejectedError(`not a regular file (${kind(stat)})`, { file, code: 'IO', remedy });
}

/**
 * Opens a regular file for reading; refuses, with the reason, anything else (a directory, a FIFO,
 * /dev/zero: "empty" or an endless wait would be the wrong answer) and what `strict` does not allow.
 * O_NONBLOCK lets the open of a FIFO without a writer return, so it can be refused; it changes
 * nothing for a regular file.
 */
async function openFile(file: string, opts: OpenOptions = {}): Promise<{ fh: fs.promises.FileHandle; stat: fs.Stats }> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, O_RDONLY | O_NONBLOCK | (opts.strict ? O_NOFOLLOW : 0));
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
    if (!stat.isFile()) throw notRegular(file, stat, opts.strict ?? false);
    return { fh, stat };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

// Reads of 64 KiB: the ingest reads a big file at several hundred MB/s, and 1 MiB buffers freed
// at that rate stayed with the allocator: the /12 first load peaked 20-30 MB higher with them
// (docs/benchmarks.md), at the same speed.
const READ_BYTES = 64 << 10;

/** The head and a stream of the rest, both read from one descriptor (never the path again). */
export async function openInput(file: string, stdin: Readable = process.stdin, opts: OpenOptions = {}): Promise<OpenedInput> {
  const raw = file === '-' ? await splitHead(stdin) : await openRaw(file, opts);
  if (!isGzip(raw.head)) return raw;
  const max = opts.maxDecompressed ?? DEFAULT_MAX_BODY;
  const source = file === '-' ? 'stdin' : file;
  const body = gunzipLimited(joined(raw), {
    max,
    tooLarge: () => new ScanRejectedError(`the gzip data decompresses to more than ${max} bytes (server.max_body)`, {
      file: source,
      remedy: 'if the scan really is that large, raise `server.max_body` in the config (it limits uploads to `serve` too), or give the file uncompressed',
    }),
    broken: (reason) => new ScanRejectedError(reason, { file: source, remedy: 'copy the file again from the scanner (`gzip -t FILE` tests it), or give it uncompressed' }),
  });
  return { ...(await splitHead(body)), gzip: true };
}

async function openRaw(file: string, opts: OpenOptions): Promise<OpenedInput> {
  const { fh, stat } = await openFile(file, opts);
  let streaming = false;
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (bytesRead >= stat.size) return { head, rest: Readable.from([]), size: stat.size, gzip: false };
    streaming = true; // the stream closes the descriptor when it ends or is destroyed
    return { head, rest: fh.createReadStream({ start: bytesRead, highWaterMark: READ_BYTES }), size: stat.size, gzip: false };
  } finally {
    if (!streaming) await fh.close();
  }
}

async function* joined(input: OpenedInput): AsyncGenerator<Buffer> {
  yield input.head;
  yield* input.rest as AsyncIterable<Buffer>;
}

async function splitHead(stream: AsyncIterable<Buffer | string>): Promise<OpenedInput> {
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
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (done) return;
        yield value as Buffer;
      }
    } finally {
      await it.return?.(); // destroyed early: the source (a file, the gunzip) is closed too
    }
  }
  return { head, rest: Readable.from(remaining()), size: null, gzip: false };
}
