// `serve` with tokens refuses to listen off loopback without TLS (exit 2, with the remedy), and
// serves plain HTTP on loopback; what it writes to the temporary folder (only with --ingest). No
// certificates needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { fetchIt } from '../helpers/http';
import { logWhen, startServe } from '../helpers/serve';
import { SCANS } from '../helpers/cli';

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


describe('the temporary folder', () => {
  let work: string;
  let tmp: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-serve-tmp-'));
    tmp = path.join(work, 'tmp');
    fs.mkdirSync(tmp);
    fs.mkdirSync(path.join(work, 'inbox'));
    fs.writeFileSync(path.join(work, 'p.yaml'), `server:\n  tokens: { "${TOK_IN}": scan-in }\n`);
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
  const args = (...extra: string[]) => ['--db', path.join(work, 'x.sqlite'), '--config', path.join(work, 'p.yaml'), 'serve', '--listen', '127.0.0.1:0', ...extra];
  const scan = () => fs.readFileSync(path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml'));

  test('is not touched in queue mode (a read-only /tmp under ProtectSystem=strict is fine)', async () => {
    const s = await startServe(args('--inbox', path.join(work, 'inbox')), { TMPDIR: tmp });
    try {
      const r = await fetchIt(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(TOK_IN), body: scan() });
      expect(r.status).toBe(202);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      expect(await s.stop()).toBe(0);
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(fs.readdirSync(path.join(work, 'inbox', 'scan-in'))).toHaveLength(1);
  });

  test('holds the spool with --ingest, which is removed at the end', async () => {
    const s = await startServe(args('--ingest'), { TMPDIR: tmp });
    try {
      expect(fs.readdirSync(tmp)).toEqual([expect.stringMatching(/^portdelta-serve-/)]);
      const r = await fetchIt(`${s.url}/api/v1/scans`, { method: 'POST', headers: bearer(TOK_IN), body: scan() });
      expect(r.status).toBe(200);
      expect(await logWhen(s, (l) => / 200 scanner=scan-in /.test(l))).toMatch(/ 200 scanner=scan-in /);
    } finally {
      expect(await s.stop()).toBe(0);
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('that cannot be written stops --ingest at start with the remedy (exit 2)', async () => {
    const r = await cli(args('--ingest'), { env: { TMPDIR: path.join(work, 'no-such-dir') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot create the upload spool in ${path.join(work, 'no-such-dir')}`);
    expect(r.stderr).toMatch(/remedy: .*TMPDIR.*PrivateTmp=yes/);
  });
});
