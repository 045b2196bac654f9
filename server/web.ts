// The dashboard's HTTP side: the login form, sessions, the assets, and the pages (server/pages/).
// A page is shown to a session (the cookie a login gave) or to `Authorization: Bearer` with a read
// token; without either, GET goes to the login form. Every page's rows pass through readScope
// (read-scope.ts), so a token bound to networks sees only them. Login and logout are POSTs checked
// against cross-site requests twice: the cookie is SameSite=Strict, and the Origin must be this host.
import type { IncomingMessage } from 'node:http';
import { UsageError } from '../common/errors';
import { formatRange } from '../common/ip';
import { HttpError } from './http-error';
import type { Access } from './auth';
import type { ServerContext } from './context';
import type { Answer } from './routes-scans';
import { sessionCookie, sessionId, type SessionStore } from './session';
import { redirect } from './web-redirect';
import { asset } from './pages/assets';
import { html, layout, type Html } from './pages/html';
import { loginForm } from './pages/login';
import type { PageCtx, PageOut } from './pages/page';
import { overviewPage } from './pages/overview';
import { changesExport, changesPage } from './pages/changes';
import { hostJump, hostPage } from './pages/host';
import { portJump, portPage } from './pages/port';
import { scannersPage } from './pages/scanners';
import { networkJump, networkPage } from './pages/network';
import { disagreementsPage } from './pages/disagreements';
import { auditPage } from './pages/audit';

export type WebContext = ServerContext & { sessions: SessionStore; secure: boolean };

type Page = (pc: PageCtx, param: string, ctx: WebContext) => Promise<PageOut>;

const PAGES: ReadonlyArray<{ path: RegExp; page: Page }> = [
  { path: /^\/$/, page: (pc, _p, ctx) => overviewPage(pc, ctx.policy?.policy ?? null) },
  { path: /^\/changes\/?$/, page: (pc, _p, ctx) => changesPage(pc, ctx.policy?.policy ?? null) },
  { path: /^\/changes\.csv$/, page: (pc, _p, ctx) => changesExport(pc, 'csv', ctx.policy?.policy ?? null) },
  { path: /^\/changes\.jsonl$/, page: (pc, _p, ctx) => changesExport(pc, 'jsonl', ctx.policy?.policy ?? null) },
  { path: /^\/hosts\/?$/, page: (pc) => hostJump(pc) },
  { path: /^\/hosts\/([^/]+)\/?$/, page: (pc, ip) => hostPage(pc, ip) },
  { path: /^\/ports\/?$/, page: (pc) => portJump(pc) },
  { path: /^\/ports\/([a-z]+\/\d+)\/?$/, page: (pc, p) => portPage(pc, p) },
  { path: /^\/scanners\/?$/, page: (pc) => scannersPage(pc) },
  { path: /^\/networks\/?$/, page: (pc) => networkJump(pc) },
  { path: /^\/networks\/([0-9.]+(?:\/\d{1,2})?|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:\/\d{1,3})?)\/?$/, page: (pc, n) => networkPage(pc, n) },
  { path: /^\/disagreements\/?$/, page: (pc) => disagreementsPage(pc) },
  { path: /^\/audit\/?$/, page: (pc, _p, ctx) => auditPage(pc, ctx.policy ?? null) },
];

const HTML_TYPE = 'text/html; charset=utf-8';
const MAX_FORM = 8 * 1024;

/** Whether the path is the dashboard's (everything but the API and the operations endpoints). */
export function isWebPath(pathname: string): boolean {
  return !/^\/(api\/|healthz\/?$|metrics\/?$)/.test(pathname);
}


function htmlAnswer(status: number, text: string, headers?: Record<string, string>): Answer {
  return { status, body: text, contentType: HTML_TYPE, headers };
}

/** A bare page (login, errors before a login) without the navigation of a signed-in page. */
function barePage(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · portdelta</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><main><h1>${title}</h1>${body}</main></body></html>
`.text;
}

/** The POST came from a page of this server: its Origin names this host (or the browser says same-origin). */
function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const host = String(req.headers.host ?? '').toLowerCase();
  if (origin === undefined) {
    if (req.headers['sec-fetch-site'] === 'same-origin') return;
  } else {
    try {
      if (host !== '' && new URL(origin).host.toLowerCase() === host) return;
    } catch {
      // not a URL: refused below
    }
  }
  throw new HttpError(403, 'this form was not sent from a page of this server', 'log in from the login page of this server; a reverse proxy must pass the Host header on (docs/dashboard.md)');
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''))) {
    throw new HttpError(415, 'the login form is sent as application/x-www-form-urlencoded');
  }
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_FORM) throw new HttpError(413, 'the form is too large');
  }
  return new URLSearchParams(text);
}

/** Where to go after a login: a path of this server only (never another site), in printable ASCII (a Location header). */
function safeNext(next: string | null): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

async function login(req: IncomingMessage, ctx: WebContext, seen: { who?: string }): Promise<Answer> {
  checkSameOrigin(req);
  const form = await readForm(req);
  const next = safeNext(form.get('next'));
  const token = (form.get('token') ?? '').trim();
  const access = token ? ctx.tokens.lookup(token) : null;
  if (access === null) return htmlAnswer(401, barePage('Log in', loginForm(next, 'unknown token: give a token from server.read_tokens')));
  seen.who = access.label;
  if (access.kind !== 'read') {
    return htmlAnswer(403, barePage('Log in', loginForm(next, 'this is an upload token (server.tokens): it uploads scans and cannot log in; use a token from server.read_tokens')));
  }
  const id = ctx.sessions.open(access);
  return redirect(next, { 'Set-Cookie': sessionCookie(id, ctx.secure) });
}

/** The login form again, when this address offered too many unknown tokens (failed-auth.ts). */
export function loginRefused(waitSeconds: number): Answer {
  return htmlAnswer(429, barePage('Log in', loginForm('/', `too many unknown tokens from this address: wait ${waitSeconds} s before the next try`)));
}

function logout(req: IncomingMessage, ctx: WebContext): Answer {
  checkSameOrigin(req);
  ctx.sessions.close(sessionId(req));
  return redirect('/login', { 'Set-Cookie': sessionCookie(null, ctx.secure) });
}

/** The access of a page request: its bearer token or its session; null: neither (go and log in). */
function pageAccess(req: IncomingMessage, ctx: WebContext): Access | null {
  const access = req.headers.authorization !== undefined ? ctx.tokens.authenticate(req) : ctx.sessions.find(sessionId(req));
  if (access?.kind === 'upload') {
    throw new HttpError(403, `this token is an upload token (scanner '${access.scanner}'): the dashboard is for read tokens`, 'use a token from `server.read_tokens`');
  }
  return access;
}

function errorPage(err: HttpError | UsageError, signedIn: boolean): Answer {
  const status = err instanceof HttpError ? err.status : 400;
  const body = html`<p class="error">${err.message}</p>${err.remedy ? html`<p>${err.remedy}</p>` : ''}<p><a href="${signedIn ? '/' : '/login'}">${signedIn ? 'Overview' : 'Log in'}</a></p>`;
  return htmlAnswer(status, barePage(status === 404 ? 'Not found' : 'Cannot show this', body));
}

async function showPage(req: IncomingMessage, url: URL, ctx: WebContext, seen: { who?: string }): Promise<Answer> {
  const match = PAGES.map((p) => ({ p, m: p.path.exec(url.pathname) })).find((x) => x.m !== null);
  if (!match) throw new HttpError(404, `no such page: ${url.pathname}`, 'start at / (the overview)');
  const access = pageAccess(req, ctx);
  if (access === null) return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  seen.who = access.label;
  let param = '';
  try {
    param = decodeURIComponent(match.m![1] ?? '');
  } catch {
    throw new HttpError(400, 'the path is not valid percent-encoding');
  }
  const pc: PageCtx = { db: ctx.db, config: ctx.config, access, url };
  const out = await match.p.page(pc, param, ctx);
  if ('answer' in out) return out.answer;
  const bound = access.kind === 'read' && access.networks !== null ? access.networks.map(formatRange).join(', ') : null;
  return htmlAnswer(200, layout({ title: out.title, who: access.label, bound, body: out.body }));
}

/** Answers a dashboard request (isWebPath). */
export async function web(req: IncomingMessage, url: URL, ctx: WebContext, seen: { who?: string }): Promise<Answer> {
  const get = req.method === 'GET' || req.method === 'HEAD';
  const a = /^\/assets\/([A-Za-z0-9.]+)$/.exec(url.pathname);
  if (a) {
    const found = asset(a[1]);
    if (!found) throw new HttpError(404, `no such asset: ${a[1]}`);
    if (!get) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, 'use GET');
    return { status: 200, body: found.text, contentType: found.type, headers: { 'Cache-Control': 'public, max-age=3600' } };
  }
  if (url.pathname === '/login') {
    if (req.method === 'POST') return login(req, ctx, seen);
    if (!get) throw new HttpError(405, `${req.method} is not allowed on /login`, 'use GET or POST');
    if (ctx.sessions.find(sessionId(req))) return redirect(safeNext(url.searchParams.get('next')));
    return htmlAnswer(200, barePage('Log in', loginForm(safeNext(url.searchParams.get('next')), null)));
  }
  if (url.pathname === '/logout') {
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed on /logout`, 'use the Log out button (POST)');
    return logout(req, ctx);
  }
  if (!get) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, 'use GET');
  try {
    return await showPage(req, url, ctx, seen);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) throw err;
    if (err instanceof HttpError || err instanceof UsageError) return errorPage(err, seen.who !== undefined);
    throw err;
  }
}
