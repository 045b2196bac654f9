// `serve` with tokens refuses to listen off loopback without TLS (exit 2, with the remedy), and
// serves plain HTTP on loopback. No certificates needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { fetchIt } from '../helpers/http';
import { startServe } from '../helpers/serve';

const TOK_IN = 'tok-scan-in-0123456789abcdef';
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('serve refuses to start', () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-serve-refuse-'));
    fs.writeFileSync(path.join(work, 'p.yaml'), `server:\n  tokens: { "${TOK_IN}": scan-in }\n`);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test.each(['0.0.0.0:0', '[::]:0'])('with tokens and no TLS on %s (exit 2, with the remedy)', async (listen) => {
    const r = await cli(['--db', path.join(work, 'x.sqlite'), '--config', path.join(work, 'p.yaml'), 'serve', '--listen', listen, '--ingest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on .* without TLS/);
    expect(r.stderr).toMatch(/server\.tls\.cert/);
  });

  test('but serves plain HTTP on loopback', async () => {
    const s = await startServe(['--db', path.join(work, 'y.sqlite'), '--config', path.join(work, 'p.yaml'), 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      const r = await fetchIt(`${s.url}/api/v1/state`, { headers: bearer(TOK_IN) });
      expect(r.status).toBe(200);
      expect(r.json).toEqual([]);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});

