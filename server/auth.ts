// Bearer tokens and what each may do. An upload token (`server.tokens`) is bound to one scanner: it
// uploads as that scanner and reads only that scanner's data. A read token (`server.read_tokens`)
// reads every scanner's data, or only its networks' when it is bound to some, and cannot upload
// (dashboards, a SIEM). What a read may see is decided in read-scope.ts. A presented token is hashed and
// compared with every configured hash in constant time, so neither a match's position nor a token's
// length shows in the timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';
import type { ReadToken } from '../config/server-config';
import type { IpRange } from '../common/types';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * What a request's token may do; `label` names it in the log without the token. A read token's
 * `networks` (null = all) bound every answer it gets.
 */
export type Access = { kind: 'upload'; scanner: string; label: string } | { kind: 'read'; label: string; networks: IpRange[] | null };

export class TokenTable {
  private readonly entries: ReadonlyArray<{ hash: Buffer; access: Access }>;

  constructor(tokens: Readonly<Record<string, string>>, readTokens: readonly ReadToken[] = []) {
    this.entries = [
      ...Object.entries(tokens).map(([token, scanner]) => ({ hash: sha256(token), access: { kind: 'upload', scanner, label: `scanner=${scanner}` } as Access })),
      ...readTokens.map((t, i) => ({
        hash: sha256(t.token),
        access: { kind: 'read', label: `read_token=${t.name ?? `#${i + 1}`}`, networks: t.networks } as Access,
      })),
    ];
  }

  get size(): number {
    return this.entries.length;
  }

  /** How many tokens of each kind, for the start-up line. */
  count(kind: Access['kind']): number {
    return this.entries.filter((e) => e.access.kind === kind).length;
  }

  /** What a token may do, or null for an unknown token. */
  lookup(token: string): Access | null {
    const h = sha256(token);
    let found: Access | null = null;
    for (const e of this.entries) if (timingSafeEqual(h, e.hash) && found === null) found = e.access;
    return found;
  }

  /** The access of the request's bearer token; 401 when it is missing or unknown. */
  authenticate(req: IncomingMessage): Access {
    const header = req.headers.authorization;
    const remedy = 'send `Authorization: Bearer TOKEN` with a token from `server.tokens` (upload) or `server.read_tokens` (read) in the server config';
    if (!header) throw new HttpError(401, 'missing bearer token', remedy);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new HttpError(401, 'the Authorization header is not `Bearer TOKEN`', remedy);
    const access = this.lookup(m[1]);
    if (access === null) throw new HttpError(401, 'unknown token', remedy);
    return access;
  }
}

/** The scanner an upload is recorded under; a read token may not upload. */
export function uploadScanner(access: Access): string {
  if (access.kind === 'upload') return access.scanner;
  throw new HttpError(403, 'this token is a read token (server.read_tokens): it may read, not upload', "upload with the scanner's token from `server.tokens`");
}
