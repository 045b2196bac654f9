// Dashboard sessions: a login exchanges a read token for a random session id kept in this process's
// memory (never the token, never in the database), carried by an HttpOnly, SameSite=Strict cookie
// that expires. A session carries its token's access, network binding included (read-scope.ts).
// A restart logs everyone out; that is the price of keeping no secret at rest.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Access } from './auth';

const SESSION_COOKIE = 'portdelta_session';
/** How long a session lasts from its login. */
export const SESSION_MS = 12 * 3600e3;
/** More live sessions than this and the oldest goes: a flood of logins cannot grow the memory. */
const MAX_SESSIONS = 10_000;

interface Session {
  access: Access;
  expires: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(private readonly now: () => number = Date.now) {}

  /** A new session for `access`; returns its id. */
  open(access: Access): string {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { access, expires: this.now() + SESSION_MS });
    return id;
  }

  /** The access of a live session, or null. */
  find(id: string | null): Access | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expires <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return s.access;
  }

  close(id: string | null): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }
}

/** The session id the request's Cookie header carries, or null. */
export function sessionId(req: IncomingMessage): string | null {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** The Set-Cookie value that gives the browser `id` (or, with null, takes the cookie away). */
export function sessionCookie(id: string | null, secure: boolean): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (id === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${id}`, `Max-Age=${SESSION_MS / 1000}`, ...attrs].join('; ');
}
