// Dashboard sessions: a random id per login, never the token; each ends after 12 hours or at logout.
import { SessionStore, sessionId, SESSION_MS } from '../../server/session';
import type { Access } from '../../server/auth';
import type { IncomingMessage } from 'node:http';

const READ: Access = { kind: 'read', label: 'read_token=#1', networks: null };

test('a session lives 12 hours from its login, then is gone', () => {
  let now = 1_000_000;
  const store = new SessionStore(() => now);
  const id = store.open(READ);
  expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(store.open(READ)).not.toBe(id);
  now += SESSION_MS - 1;
  expect(store.find(id)).toBe(READ);
  now += 1;
  expect(store.find(id)).toBeNull();
});

test('logout ends a session; an unknown or missing id finds nothing', () => {
  const store = new SessionStore();
  const id = store.open(READ);
  store.close(id);
  expect(store.find(id)).toBeNull();
  expect(store.find('not-an-id')).toBeNull();
  expect(store.find(null)).toBeNull();
});

test('the session id is read from its own cookie among others', () => {
  const req = (cookie?: string) => ({ headers: { cookie } }) as IncomingMessage;
  expect(sessionId(req('a=1; portdelta_session=abc; b=2'))).toBe('abc');
  expect(sessionId(req('xportdelta_session=abc'))).toBeNull();
  expect(sessionId(req())).toBeNull();
});
