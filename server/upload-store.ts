// Receives an upload body without holding it in memory: streamed into a dot-named .part file (which
// the watcher ignores), gunzipped on the fly when declared or when it starts with gzip's magic,
// hashed, limited in size, and checked on its first bytes before anything is committed.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HEAD_BYTES } from '../input-agents/open-input';
import { gunzipLimited, isGzip, limitBytes } from '../input-agents/gunzip';
import { ClientClosedError, HttpError, isClientGone } from './http-error';
import { fsyncPathAsync } from '../common/durable';

export interface StoredUpload {
  /** The .part file holding the (decompressed) body. */
  part: string;
  bytes: number;
  sha256: string;
  /** What checkHead returned. */
  format: string;
}

export interface ReceiveOptions {
  dir: string;
  maxBody: number;
  /** Looks at the first bytes (up to 64 KiB) and names the format, or throws an HttpError. */
  checkHead(head: Buffer): string;
}

const tooLarge = (max: number) =>
  new HttpError(413, `the body is larger than the server's limit of ${max} bytes`, 'split the scan, or raise `server.max_body` in the server config');

const broken = (reason: string) =>
  new HttpError(400, `the body is gzip but does not decompress: ${reason}`, 'send the file whole, gzipped once or not at all');

async function* gunzipIfNeeded(source: AsyncIterable<Buffer>, declared: boolean, max: number): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (!declared && !isGzip(first.value)) yield* limitBytes(all(), { max, tooLarge });
  else yield* gunzipLimited(all(), { max, tooLarge, broken });
}

export async function receiveUpload(req: IncomingMessage, opts: ReceiveOptions): Promise<StoredUpload> {
  const declared = /^\s*(x-)?gzip\s*$/i.test(String(req.headers['content-encoding'] ?? ''));
  const enc = req.headers['content-encoding'];
  if (enc && !declared && !/^\s*identity\s*$/i.test(String(enc))) {
    throw new HttpError(415, `Content-Encoding '${enc}' is not supported`, 'send the body plain or gzipped (Content-Encoding: gzip)');
  }
  await fs.promises.mkdir(opts.dir, { recursive: true });
  const part = path.join(opts.dir, `.upload-${randomBytes(8).toString('hex')}.part`);
  const fh = await fs.promises.open(part, 'wx', 0o640);
  const hash = createHash('sha256');
  let bytes = 0;
  let format: string | null = null;
  const headParts: Buffer[] = [];
  const received = { bytes: 0 };
  try {
    // The request is read without destroying it on an early stop, so the error can still be answered.
    const body = limitBytes(req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, { max: opts.maxBody, tooLarge }, received);
    for await (const chunk of gunzipIfNeeded(body, declared, opts.maxBody)) {
      hash.update(chunk);
      if (format === null) {
        headParts.push(chunk);
        if (bytes + chunk.length >= HEAD_BYTES) format = opts.checkHead(Buffer.concat(headParts).subarray(0, HEAD_BYTES));
      }
      bytes += chunk.length;
      await fh.write(chunk);
    }
    if (bytes === 0) throw new HttpError(400, 'the body is empty', 'send the scan file as the request body');
    format ??= opts.checkHead(Buffer.concat(headParts));
    await fh.sync();
    await fh.close();
    return { part, bytes, sha256: hash.digest('hex'), format };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.promises.rm(part, { force: true });
    throw isClientGone(err) ? new ClientClosedError(received.bytes) : err;
  }
}

/** Renames the .part into place and makes the rename durable; an existing file of that name (same content) is kept. */
export async function commitUpload(part: string, final: string): Promise<void> {
  if (fs.existsSync(final)) {
    await fs.promises.rm(part, { force: true });
    return;
  }
  await fs.promises.rename(part, final);
  await fsyncPathAsync(path.dirname(final));
}
