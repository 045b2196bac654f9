// The served lab (served-lab.ts) with a host whose name is an attack on a web page, and a browser-like
// client for the dashboard: a login that keeps the session cookie, and page fetches with it.
import { csvText, night, port, Scratch, up } from './csv-scan';
import { fetchIt, type Reply } from './http';
import { ingestHere, type InProcess } from './serve';

/** A hostname as a hostile PTR record could make it. */
export const HOSTILE_NAME = '<script>alert(1)</script><img src=x onerror=alert(2)>';
export const HOSTILE_IP = '10.77.0.5';

const SCRATCH = new Scratch();
afterAll(() => SCRATCH.remove());

/** Scanner `web-lab` sees HOSTILE_IP up under HOSTILE_NAME with 80/tcp open. */
export async function addHostileHost(s: InProcess): Promise<void> {
  const file = SCRATCH.write('hostile.csv', csvText({ started: night(3), scope: '10.77.0.0/24', rows: [up(HOSTILE_IP, HOSTILE_NAME), port(HOSTILE_IP, 80)] }));
  await ingestHere(s, file, 'web-lab');
}

/** Scanner `wide` sees 130 hosts of 10.78.0.0/24 up with 443/tcp open: 260 changes, more than two pages of a list. */
export async function addWideScan(s: InProcess): Promise<void> {
  const rows = Array.from({ length: 130 }, (_, i) => `10.78.0.${i + 1}`).flatMap((ip) => [up(ip), port(ip, 443)]);
  await ingestHere(s, SCRATCH.write('wide.csv', csvText({ started: night(3), scope: '10.78.0.0/24', rows })), 'wide');
}

/** IPv6 hosts of scanner `v6-lab`: two in fd00::/120, one far off in fd00::/64, one outside it. */
export const V6_HOSTS = { near: ['fd00::10', 'fd00::20'], far: 'fd00::8000:0:0:1', outside: 'fd00:1::7' } as const;

/** Scanner `v6-lab` sees V6_HOSTS up, each with 22/tcp open, fd00::10 also 443/tcp. */
export async function addV6Scan(s: InProcess): Promise<void> {
  const ips = [...V6_HOSTS.near, V6_HOSTS.far, V6_HOSTS.outside];
  const rows = [...ips.flatMap((ip) => [up(ip), port(ip, 22)]), port('fd00::10', 443)];
  await ingestHere(s, SCRATCH.write('v6.csv', csvText({ started: night(3), scope: 'fd00::/31', rows })), 'v6-lab');
}

/** POSTs the login form as a browser on the server's own page does (same Origin). */
export function postLogin(url: string, token: string, headers: Record<string, string> = { Origin: url }, next = '/'): ReturnType<typeof fetchWithHeaders> {
  return fetchWithHeaders(`${url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next }).toString(),
  });
}

/** fetchIt, plus the answer's headers and its session cookie (name=value) if it set one. */
export async function fetchWithHeaders(url: string, opts: Parameters<typeof fetchIt>[1] = {}): Promise<Reply & { headers: Record<string, string | string[] | undefined>; cookie: string | null }> {
  const res = await fetch(url, { method: opts.method ?? 'GET', headers: opts.headers, body: opts.body as string | undefined, redirect: 'manual' });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  const set = res.headers.getSetCookie()[0] ?? null;
  return { status: res.status, text, json, headers, cookie: set ? set.split(';')[0] : null };
}
