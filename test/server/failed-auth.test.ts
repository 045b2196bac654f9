// Guessing tokens: after 10 unknown tokens from one address within 15 minutes, that address gets
// 429 with Retry-After on whatever offers a token (the login form, a bearer header), the right
// token included, until the window has passed; requests that offer no token are not affected.
import { FailedAuth, MAX_FAILURES, WINDOW_MS } from '../../server/failed-auth';
import { forEachDb } from '../helpers/db';
import { serveLab, TOK_READ } from '../helpers/served-lab';
import { fetchWithHeaders, postLogin } from '../helpers/dashboard';
import type { InProcess } from '../helpers/serve';

test('the count of failures lives for the window from the first, per address', () => {
  let now = 1_000_000;
  const f = new FailedAuth(() => now);
  for (let i = 0; i < MAX_FAILURES - 1; i++) f.failed('10.0.0.1');
  expect(f.waitSeconds('10.0.0.1')).toBe(0);
  f.failed('10.0.0.1');
  expect(f.waitSeconds('10.0.0.1')).toBe(WINDOW_MS / 1000);
  expect(f.waitSeconds('10.0.0.2')).toBe(0);
  now += WINDOW_MS - 1000;
  expect(f.waitSeconds('10.0.0.1')).toBe(1);
  now += 1000;
  expect(f.waitSeconds('10.0.0.1')).toBe(0);
  f.failed('10.0.0.1');
  expect(f.waitSeconds('10.0.0.1')).toBe(0);
});

forEachDb('unknown tokens over real HTTP', (tdb) => {
  let s: InProcess;
  beforeAll(async () => (s = await serveLab(tdb.fresh())));
  afterAll(() => s?.stop());

  test('10 wrong tokens, then even the right one waits; no-token requests go on', async () => {
    const bearer = (token: string, path = '/api/v1/changes') => fetchWithHeaders(`${s.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await bearer(TOK_READ)).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES / 2; i++) {
      expect((await bearer(`wrong-${i}`)).status).toBe(401);
      expect((await postLogin(s.url, `wrong-login-${i}`)).status).toBe(401);
    }
    const api = await bearer(TOK_READ);
    expect(api.status).toBe(429);
    expect(Number(api.headers['retry-after'])).toBeGreaterThan(800);
    expect(api.json).toMatchObject({ error: 'too many unknown tokens from this address' });
    const page = await bearer(TOK_READ, '/changes');
    expect(page.status).toBe(429);
    const login = await postLogin(s.url, TOK_READ);
    expect(login.status).toBe(429);
    expect(login.cookie).toBeNull();
    expect(login.text).toContain('too many unknown tokens from this address');
    expect((await fetchWithHeaders(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetchWithHeaders(`${s.url}/login`)).status).toBe(200);
    // the log line names neither token
    expect(s.log()).not.toContain(TOK_READ);
    expect(s.log()).not.toContain('wrong-1');
  });
});
