// gzip-compressed scan files, read as a stream with a cap on the decompressed size: the one piece
// of code behind `serve`'s uploads and the files given to ingest, watch and convert. A small file
// may inflate to any size (a "gzip bomb"); the cap stops it after that many bytes, not at the end.
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** gzip's magic number: content is judged, not the file name. */
export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export interface LimitOptions {
  /** Largest number of bytes let through. */
  max: number;
  /** The error for more than `max` bytes. */
  tooLarge(max: number): Error;
}

/** Passes the chunks on until more than `max` bytes went by, then throws `tooLarge`. */
export async function* limitBytes(source: AsyncIterable<Buffer>, opts: LimitOptions, seen = { bytes: 0 }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    seen.bytes += chunk.length;
    if (seen.bytes > opts.max) throw opts.tooLarge(opts.max);
    yield chunk;
  }
}

export interface GunzipOptions extends LimitOptions {
  /** The error for data that does not decompress; `reason` says why in words. */
  broken(reason: string): Error;
}

/** What zlib's error means for the person who gave the file. */
function brokenReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'Z_BUF_ERROR') return 'the gzip data ends early: the file is cut short';
  return `the gzip data is corrupt (${err.message})`;
}

/** Decompresses `source` (gzip, also several members one after another), at most `max` bytes of it. */
export async function* gunzipLimited(source: AsyncIterable<Buffer>, opts: GunzipOptions): AsyncGenerator<Buffer> {
  const gunzip = zlib.createGunzip();
  const feeding = pipeline(Readable.from(source), gunzip);
  feeding.catch(() => undefined); // its error also ends the loop below
  try {
    yield* limitBytes(gunzip as AsyncIterable<Buffer>, opts);
    await feeding;
  } catch (err) {
    if (/^Z_/.test((err as NodeJS.ErrnoException).code ?? '')) throw opts.broken(brokenReason(err as NodeJS.ErrnoException));
    throw err;
  } finally {
    gunzip.destroy(); // stopped early: the pipeline then closes the source (and its file)
  }
}
