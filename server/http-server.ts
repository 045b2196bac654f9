// The HTTP(S) server of `serve`: the API's routes (every other path is the dashboard's, web.ts), one
// log line per request (never a token), the API's errors as JSON {error, remedy}, the security
// headers on every answer, and a graceful close.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { PortdeltaError, UsageError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { ClientClosedError, HttpError } from './http-error';
import { uploadScanner, type Access } from './auth';
import { postScan, type Answer } from './routes-scans';
import { getChanges, getHost, getState } from './routes-read';
import { checkMetricsAccess, getHealth, getMetrics } from './routes-ops';
import { makeScraper, type Scraper } from './metrics';
import type { ServerContext } from './context';
import { isWebPath, loginRefused, web, type WebContext } from './web';
import { SessionStore } from './session';
import { FailedAuth } from './failed-auth';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  log(line: string): void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** The server's context and what belongs to this one server (its metrics registry, its dashboard sessions). */
type RouteContext = WebContext & { scraper: Scraper; failures: FailedAuth };

/**
 * Sent with every answer: no script, style, frame or form target but this server's own files, no
 * framing, no MIME sniffing, no Referer to another site (a URL's filters may name hosts; with
 * no-referrer at all a browser would send `Origin: null` on the login form).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
type Handler = (req: http.IncomingMessage, url: URL, ctx: RouteContext, access: Access, param: string) => Promise<Answer>;
type OpenHandler = (ctx: RouteContext) => Promise<Answer>;

/**
 * token: every request needs a token (the API). open: none (/healthz). metrics: none when
 * `server.metrics_public` is set, else a read token for every network.
 */
type Route =
  | { method: string; path: RegExp; auth: 'token'; handler: Handler }
  | { method: string; path: RegExp; auth: 'open' | 'metrics'; handler: OpenHandler };

const ROUTES: readonly Route[] = [
  { method: 'POST', path: /^\/api\/v1\/scans\/?$/, auth: 'token', handler: (req, url, ctx, access) => postScan(req, url, ctx, uploadScanner(access)) },
  { method: 'GET', path: /^\/api\/v1\/changes\/?$/, auth: 'token', handler: (_r, url, ctx, access) => getChanges(url, ctx, access) },
  { method: 'GET', path: /^\/api\/v1\/state\/?$/, auth: 'token', handler: (_r, url, ctx, access) => getState(url, ctx, access) },
  { method: 'GET', path: /^\/api\/v1\/hosts\/([^/]+)\/?$/, auth: 'token', handler: (_r, url, ctx, access, ip) => getHost(url, ctx, access, ip) },
  { method: 'GET', path: /^\/healthz\/?$/, auth: 'open', handler: (ctx) => getHealth(ctx) },
  { method: 'GET', path: /^\/metrics\/?$/, auth: 'metrics', handler: (ctx) => getMetrics(ctx, ctx.scraper) },
];

/** Query parameters the API and the dashboard know; the value of any other is not logged, since a client may put a token there. */
const LOGGED_PARAMS = new Set(['since', 'after_id', 'scanner', 'type', 'network', 'until', 'group', 'port', 'page']);

function logTarget(url: URL): string {
  const params = [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${LOGGED_PARAMS.has(k) ? encodeURIComponent(v) : '…'}`);
  return safeText(url.pathname + (params.length ? `?${params.join('&')}` : '')).slice(0, 300);
}

function toAnswer(err: unknown, log: (line: string) => void): Answer {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, ...(err.remedy ? { remedy: err.remedy } : {}) } };
  if (err instanceof UsageError) return { status: 400, body: { error: err.message, ...(err.remedy ? { remedy: err.remedy } : {}) } };
  if (err instanceof PortdeltaError && err.code === 'DATABASE') return { status: 503, body: { error: err.message } };
  log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return { status: 500, body: { error: 'internal error; the server log has the details' } };
}

/** Answers one request; `seen.who` names its token (for the log line) as soon as it is known. */
async function route(req: http.IncomingMessage, url: URL, ctx: RouteContext, seen: { who?: string }): Promise<Answer> {
  const matches = ROUTES.filter((r) => r.path.test(url.pathname));
  if (matches.length === 0 && isWebPath(url.pathname)) return web(req, url, ctx, seen);
  if (matches.length === 0) throw new HttpError(404, `no such endpoint: ${url.pathname}`, 'see docs/server.md for the API');
  const r = matches.find((m) => m.method === req.method || (m.method === 'GET' && req.method === 'HEAD'));
  if (!r) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, `use ${matches.map((m) => m.method).join(', ')}`);
  if (r.auth !== 'token') {
    if (r.auth === 'metrics' && !ctx.config.server.metrics_public) {
      const access = ctx.tokens.authenticate(req);
      seen.who = access.label;
      checkMetricsAccess(access);
    }
    return r.handler(ctx);
  }
  const access = ctx.tokens.authenticate(req);
  seen.who = access.label;
  let param = '';
  try {
    param = decodeURIComponent(r.path.exec(url.pathname)?.[1] ?? '');
  } catch {
    throw new HttpError(400, 'the path is not valid percent-encoding');
  }
  return r.handler(req, url, ctx, access, param);
}

function tooManyFailures(url: URL, wait: number): Answer {
  const headers = { 'Retry-After': String(wait) };
  if (url.pathname === '/login') return { ...loginRefused(wait), headers };
  return { status: 429, headers, body: { error: 'too many unknown tokens from this address', remedy: `wait ${wait} s, then use a token from the server's configuration` } };
}

/** route(), unless the client has offered too many unknown tokens lately (failed-auth.ts). */
async function guarded(req: http.IncomingMessage, url: URL, ctx: RouteContext, seen: { who?: string }, client: string): Promise<Answer> {
  const offers = req.headers.authorization !== undefined || (req.method === 'POST' && url.pathname === '/login');
  if (!offers) return route(req, url, ctx, seen);
  const wait = ctx.failures.waitSeconds(client);
  if (wait > 0) return tooManyFailures(url, wait);
  let answer: Answer;
  try {
    answer = await route(req, url, ctx, seen);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) ctx.failures.failed(client);
    throw err;
  }
  if (answer.status === 401) ctx.failures.failed(client);
  return answer;
}

export function startServer(serverCtx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  const ctx: RouteContext = { ...serverCtx, scraper: makeScraper(), sessions: new SessionStore(), failures: new FailedAuth(), secure: !!opts.tls };
  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    // Read now: once a client has closed the connection (the 499 line), the socket no longer knows it.
    const client = req.socket.remoteAddress ?? '-';
    const seen: { who?: string } = {};
    let note = '';
    let answer: Answer;
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '/', 'http://server.invalid');
      answer = await guarded(req, url, ctx, seen, client);
    } catch (err) {
      answer = toAnswer(err, opts.log);
      if (err instanceof ClientClosedError) note = ` ${err.message}`;
    }
    const where = url ? logTarget(url) : '-';
    opts.log(`${new Date().toISOString()} ${client} ${req.method} ${where} ${answer.status}${seen.who ? ` ${seen.who}` : ''} ${Date.now() - started}ms${note}`);
    const text = answer.contentType ? String(answer.body) : JSON.stringify(answer.body, null, 2) + '\n';
    // An unread body (an early 4xx) cannot be skipped on a kept-alive connection: close it instead.
    if (!req.readableEnded) res.setHeader('Connection', 'close');
    const type = answer.contentType ?? 'application/json; charset=utf-8';
    res.writeHead(answer.status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...answer.headers });
    res.end(req.method === 'HEAD' ? undefined : text);
    if (!req.readableEnded) req.resume();
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void onRequest(req, res);
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.requestTimeout = 30 * 60 * 1000; // a large scan over a slow line
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), 10_000).unref();
          }),
      });
    });
  });
}
