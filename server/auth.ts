// Bearer tokens, each bound to one scanner (config `server.tokens`). A presented token is hashed and
// compared with every configured hash in constant time, so neither a match's position nor a
// token's length shows in the timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class TokenTable {
  private readonly entries: ReadonlyArray<{ hash: Buffer; scanner: string }>;

  constructor(tokens: Readonly<Record<string, string>>) {
    this.entries = Object.entries(tokens).map(([token, scanner]) => ({ hash: sha256(token), scanner }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The scanner a token is bound to, or null. */
  lookup(token: string): string | null {
    const h = sha256(token);
    let found: string | null = null;
    for (const e of this.entries) if (timingSafeEqual(h, e.hash) && found === null) found = e.scanner;
    return found;
  }

  /** The scanner of the request's bearer token; 401 when it is missing or unknown. */
  authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization;
    const remedy = 'send `Authorization: Bearer TOKEN` with a token from `server.tokens` in the server config';
    if (!header) throw new HttpError(401, 'missing bearer token', remedy);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new HttpError(401, 'the Authorization header is not `Bearer TOKEN`', remedy);
    const scanner = this.lookup(m[1]);
    if (scanner === null) throw new HttpError(401, 'unknown token', remedy);
    return scanner;
  }
}
