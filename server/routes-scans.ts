// POST /api/v1/scans: one scan file per request, attributed to the scanner its token is bound to;
// queued atomically into inbox/<scanner>/ for the watcher, or ingested at once (--ingest).
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { detect } from '../input-agents/registry';
import { ingestStream } from '../delta-reporter/ingest';
import { openInput } from '../input-agents/open-input';
import { describeError, ScanRejectedError, UnknownFormatError } from '../common/errors';
import { HttpError } from './http-error';
import { commitUpload, receiveUpload } from './upload-store';
import type { ServerContext } from './context';

const EXTENSION: Readonly<Record<string, string>> = { 'nmap-xml': '.xml', 'nmap-grepable': '.gnmap', 'portdelta-csv': '.csv' };

/** An answer: JSON of `body`, or `body` as it is when a `contentType` is given (it is then a string). */
export interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
  /** Further headers (a cookie, a redirect's Location, a download's name). */
  headers?: Record<string, string>;
}

/** The uniform CSV may name its scanner in a '#scanner=' header line. */
function csvScanner(head: Buffer): string | null {
  for (const raw of head.toString('utf8').replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (!line.startsWith('#')) return null;
    const m = /^#\s*scanner\s*=(.*)$/i.exec(line);
    if (m) return m[1].trim();
  }
  return null;
}

function foreign(claimed: string, scanner: string, where: string): HttpError {
  return new HttpError(403, `this token is bound to scanner '${scanner}', but ${where} names '${claimed}'`, `upload with the token of scanner '${claimed}', or drop ${where}`);
}

function checkHead(head: Buffer, scanner: string): string {
  let format: string;
  try {
    format = detect(head, 'the body').name;
  } catch (err) {
    if (err instanceof UnknownFormatError) {
      throw new HttpError(415, 'the body matches none of the known scan formats', 'send nmap XML (-oX), nmap grepable (-oG) or the uniform CSV (docs/formats.md), plain or gzipped');
    }
    // UTF-16/32 text, an XML encoding portdelta does not read
    if (err instanceof ScanRejectedError) throw new HttpError(415, `the body cannot be read: ${err.message}`, err.remedy);
    throw err;
  }
  const named = format === 'portdelta-csv' ? csvScanner(head) : null;
  if (named && named !== scanner) throw foreign(named, scanner, "the file's #scanner= header");
  return format;
}

const stamp = (d = new Date()): string => d.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');

export async function postScan(req: IncomingMessage, url: URL, ctx: ServerContext, scanner: string): Promise<Answer> {
  for (const key of url.searchParams.keys()) {
    if (key !== 'scanner') throw new HttpError(400, `unknown parameter '${key}'`, 'POST /api/v1/scans takes only ?scanner=NAME');
  }
  const claimed = url.searchParams.get('scanner');
  if (claimed !== null && claimed !== scanner) throw foreign(claimed, scanner, '?scanner=');
  const length = Number(req.headers['content-length'] ?? NaN);
  if (length > ctx.maxBody) throw new HttpError(413, `the body (${length} bytes) is larger than the server's limit of ${ctx.maxBody} bytes`, 'split the scan, or raise `server.max_body`');

  const dir = ctx.ingest ? ctx.spool! : path.join(ctx.inbox!, scanner);
  const up = await receiveUpload(req, { dir, maxBody: ctx.maxBody, checkHead: (head) => checkHead(head, scanner) });
  const name = `${stamp()}-${up.sha256.slice(0, 16)}${EXTENSION[up.format] ?? '.scan'}`;
  if (!ctx.ingest) {
    await commitUpload(up.part, path.join(dir, name));
    return { status: 202, body: { status: 'queued', scanner, file: `${scanner}/${name}`, format: up.format, bytes: up.bytes, sha256: up.sha256 } };
  }
  try {
    const { head, rest } = await openInput(up.part);
    const summary = await ingestStream(ctx.db, head, rest, { source: `upload:${scanner}/${name}`, scanner, scanners: ctx.config.scanners });
    return { status: 200, body: summary };
  } catch (err) {
    if (err instanceof ScanRejectedError) throw new HttpError(400, `the scan was rejected: ${describeError(err)}`, 'nothing of it was stored; fix the file and upload it again');
    throw err;
  } finally {
    await fs.promises.rm(up.part, { force: true });
  }
}
