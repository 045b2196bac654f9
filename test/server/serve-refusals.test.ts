// `serve` with tokens refuses to listen off loopback without TLS (exit 2, with the remedy), and
// serves plain HTTP on loopback; what it writes to the temporary folder (only with --ingest). No
// certificates needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, spawnCli } from '../helpers/cli';
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

  test.each([
    ['--inbox naming no folder', ['--inbox', 'missing'], /the inbox \S+missing \(--inbox\) does not exist/],
    ['--inbox naming a file', ['--inbox', 'p.yaml'], /the inbox \S+p\.yaml \(--inbox\) is not a folder/],
    ['`inbox:` naming no folder', [], /the inbox \S+from-config \(`inbox:` in the config\) does not exist/],
  ])('in queue mode with %s (exit 2, nothing created)', async (_what, extra, message) => {
    fs.writeFileSync(path.join(work, 'q.yaml'), `inbox: ${path.join(work, 'from-config')}\nserver:\n  tokens: { "${TOK_IN}": scan-in }\n`);
    const before = fs.readdirSync(work).sort();
    const r = await cli(['--db', path.join(work, 'q.sqlite'), '--config', path.join(work, 'q.yaml'), 'serve', '--listen', '127.0.0.1:0', ...extra.map((a) => (a.startsWith('-') ? a : path.join(work, a)))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/remedy: create it \(mkdir -p .*\).*portdelta watch/);
    expect(fs.readdirSync(work).sort().filter((f) => !f.startsWith('q.'))).toEqual(before.filter((f) => !f.startsWith('q.')));
  });

  test('with a token bound to a scanner name the watcher would never ingest (exit 2, no token printed)', async () => {
    const names = ['archive', 'Failed', 'x.part', 'y.tmp', '.hidden'];
    const tokens = names.map((_, i) => `tok-reserved-${i}-0123456789abcdef`);
    fs.writeFileSync(path.join(work, 'r.yaml'), `server:\n  tokens:\n${names.map((n, i) => `    "${tokens[i]}": "${n}"\n`).join('')}`);
    const r = await cli(['--db', path.join(work, 'r.sqlite'), '--config', path.join(work, 'r.yaml'), 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("server.tokens[#1]: 'archive' is the name of the watcher's own folder in the inbox");
    expect(r.stderr).toContain("server.tokens[#2]: 'Failed' is the name of the watcher's own folder in the inbox");
    expect(r.stderr).toContain("server.tokens[#3]: the watcher skips a folder named 'x.part'");
    expect(r.stderr).toContain("server.tokens[#4]: the watcher skips a folder named 'y.tmp'");
    expect(r.stderr).toContain('server.tokens[#5]: a scanner name: letters, digits, . _ - (not starting with a dot)');
    for (const t of tokens) expect(r.stderr).not.toContain(t);
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
    // A process: os.tmpdir() reads TMPDIR from the real environment, which an in-process run does not set.
    const r = await spawnCli(args('--ingest'), { env: { TMPDIR: path.join(work, 'no-such-dir') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot create the upload spool in ${path.join(work, 'no-such-dir')}`);
    expect(r.stderr).toMatch(/remedy: .*TMPDIR.*PrivateTmp=yes/);
  });
});
