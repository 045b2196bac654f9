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

export async function openInput(file: string, stdin: Readable = process.stdin): Promise<OpenedInput> {
  if (file === '-') return splitHead(stdin);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
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
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const rest = bytesRead < stat.size ? fs.createReadStream(file, { start: bytesRead, highWaterMark: 1 << 20 }) : Readable.from([]);
    return { head, rest, size: stat.size };
  } finally {
    await fh.close();
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
