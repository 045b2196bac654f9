// Bearer tokens and what each may do. An upload token (`server.tokens`) is bound to one scanner: it
// uploads as that scanner and reads only that scanner's data. A read token (`server.read_tokens`)
// reads every scanner's data and cannot upload (dashboards, a SIEM). A presented token is hashed and
// compared with every configured hash in constant time, so neither a match's position nor a token's
// length shows in the timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** What a request's token may do; `label` names it in the log without the token. */
export type Access = { kind: 'upload'; scanner: string; label: string } | { kind: 'read'; label: string };

export class TokenTable {
  private readonly entries: ReadonlyArray<{ hash: Buffer; access: Access }>;

  constructor(tokens: Readonly<Record<string, string>>, readTokens: readonly string[] = []) {
    this.entries = [
      ...Object.entries(tokens).map(([token, scanner]) => ({ hash: sha256(token), access: { kind: 'upload', scanner, label: `scanner=${scanner}` } as Access })),
      ...readTokens.map((token, i) => ({ hash: sha256(token), access: { kind: 'read', label: `read_token=#${i + 1}` } as Access })),
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

/**
 * The scanner a read is limited to: an upload token reads its own scanner only (asking for another
 * is a 403), a read token reads what was asked (undefined = every scanner).
 */
export function readScope(access: Access, requested: string | undefined): string | undefined {
  if (access.kind === 'read') return requested;
  if (requested !== undefined && requested !== access.scanner) {
    throw new HttpError(403, `this token is bound to scanner '${access.scanner}' and may read only its data, not scanner '${requested}'`,
      "read with a token from `server.read_tokens`, which reads every scanner's data");
  }
  return access.scanner;
}
