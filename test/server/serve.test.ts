// `portdelta serve` over real HTTPS (a CA made at test time): tokens bound to scanners, the upload
// checks (401/403/413/415/400), queueing into the inbox, --ingest, and the read API against the CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import { forEachDb } from '../helpers/db';
import { cli, cliJson, SCANS } from '../helpers/cli';
import { fetchIt } from '../helpers/http';
import { logWhen, startServe, type Served } from '../helpers/serve';
import { makeTestPki, type TestPki } from '../helpers/tls';
import { describeUnless, missingTool } from '../helpers/needs';

const TOK_IN = 'tok-scan-in-0123456789abcdef';
const TOK_OUT = 'tok-scan-out-0123456789abcdef';
const TOK_READ = 'tok-dashboard-0123456789abcdef';
const N1 = path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml');
const N2 = path.join(SCANS, 'lab-a/night2/scan-in/nmap-tcp.xml');
const MAX = 64 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const skip = missingTool('openssl', 'version');

function files(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

describeUnless(skip, 'serve over HTTPS', () => {
  forEachDb('serve', (tdb) => {
    let pki: TestPki;
    let work: string;
    let db: string;
    let config: string;
    let inbox: string;
    let queue: Served;
    let ingest: Served;
    const post = (s: Served, body: Buffer | string, headers: Record<string, string> = {}, query = '') =>
      fetchIt(`${s.url}/api/v1/scans${query}`, { method: 'POST', headers, body, ca: pki.caCert });
    const get = (s: Served, p: string, token = TOK_READ) => fetchIt(`${s.url}${p}`, { headers: bearer(token), ca: pki.caCert });

    beforeAll(async () => {
      pki = await makeTestPki();
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-serve-'));
      inbox = path.join(work, 'inbox');
      fs.mkdirSync(inbox);
      config = path.join(work, 'portdelta.yaml');
      fs.writeFileSync(config, [
        'server:',
        `  tls: { cert: ${JSON.stringify(pki.cert)}, key: ${JSON.stringify(pki.key)} }`,
        `  tokens: { "${TOK_IN}": scan-in, "${TOK_OUT}": scan-out }`,
        `  read_tokens: ["${TOK_READ}"]`,
        `  max_body: ${MAX}`,
      ].join('\n') + '\n');
      db = tdb.fresh();
      queue = await startServe(['--db', db, '--config', config, 'serve', '--listen', '127.0.0.1:0', '--inbox', inbox]);
      ingest = await startServe(['--db', db, '--config', config, 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    });

    afterAll(async () => {
      // SIGTERM closes gracefully with exit 0.
      expect(await queue?.stop()).toBe(0);
      expect(await ingest?.stop()).toBe(0);
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    test('listens on HTTPS and logs one line per request without the token', async () => {
      expect(queue.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await post(queue, fs.readFileSync(N1), bearer('not-a-known-token-at-all'));
      expect(r.status).toBe(401);
      expect(await logWhen(queue, (l) => /POST \/api\/v1\/scans 401/.test(l))).toMatch(/POST \/api\/v1\/scans 401/);
      expect(queue.log()).not.toContain('not-a-known-token-at-all');
      expect(queue.log()).not.toContain(TOK_IN);
    });

    test('the dashboard login over TLS gives a Secure session cookie', async () => {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = https.request(`${queue.url}/login`, {
          method: 'POST', ca: fs.readFileSync(pki.caCert), servername: 'localhost',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: queue.url },
        }, resolve);
        req.on('error', reject);
        req.end(new URLSearchParams({ token: TOK_READ }).toString());
      });
      res.resume();
      expect(res.statusCode).toBe(303);
      expect(String(res.headers['set-cookie'])).toMatch(/^portdelta_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    });

    test('a client that closes mid-body is one log line with its address and the bytes received, not an internal error; nothing is kept', async () => {
      const body = fs.readFileSync(N1);
      const u = new URL(queue.url);
      const socket = tls.connect({ host: u.hostname, port: Number(u.port), ca: fs.readFileSync(pki.caCert), servername: 'localhost' });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      const head = `POST /api/v1/scans HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOK_IN}\r\nContent-Length: ${body.length * 4}\r\n\r\n`;
      await new Promise<void>((resolve) => socket.write(Buffer.concat([Buffer.from(head), body]), () => resolve()));
      socket.destroy();
      const log = await logWhen(queue, (l) => /client closed the connection/.test(l));
      const line = log.split('\n').find((l) => /client closed the connection/.test(l))!;
      // The client's address is in the line, though its socket is gone by the time the line is written.
      const m = / 127\.0\.0\.1 POST \/api\/v1\/scans 499 scanner=scan-in \d+ms client closed the connection after (\d+) bytes$/.exec(line);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(body.length);
      expect(log).not.toMatch(/internal error|Error: aborted|ECONNRESET|\n\s+at /);
      expect(files(path.join(inbox, 'scan-in')).filter((f) => f.startsWith('.') || f.endsWith('.part'))).toEqual([]);
    });

    test('does not log a token sent as a query parameter', async () => {
      const r = await fetchIt(`${queue.url}/api/v1/changes?access_token=${TOK_OUT}&since=1d`, { headers: bearer(TOK_OUT), ca: pki.caCert });
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(/unknown parameter 'access_token'/);
      const log = await logWhen(queue, (l) => /GET \/api\/v1\/changes\?access_token/.test(l));
      expect(log).toContain('GET /api/v1/changes?access_token=…&since=1d 400');
      expect(log).not.toContain(TOK_OUT);
    });

    test.each([
      ['no Authorization header', {}, /missing bearer token/],
      ['an unknown token', bearer('x'.repeat(32)), /unknown token/],
      ['another scheme', { Authorization: `Basic ${TOK_IN}` }, /not `Bearer TOKEN`/],
    ])('answers 401 for %s', async (_what, headers, message) => {
      const r = await post(queue, fs.readFileSync(N1), headers as Record<string, string>);
      expect(r.status).toBe(401);
      expect(r.json.error).toMatch(message);
      expect(r.json.remedy).toMatch(/server\.tokens/);
      expect(files(path.join(inbox, 'scan-in')).filter((f) => f.endsWith('.xml'))).toEqual([]);
    });

    test('answers 403 when a token is used for another scanner (query or uniform CSV header), storing nothing', async () => {
      const q = await post(queue, fs.readFileSync(N1), bearer(TOK_IN), '?scanner=scan-out');
      expect(q.status).toBe(403);
      expect(q.json.error).toMatch(/bound to scanner 'scan-in'.*'scan-out'/);
      const csv = '#portdelta-csv v1\n#scanner=scan-out\n#started=2026-01-01T00:00:00Z\nip,proto,port,state\n10.0.0.1,tcp,22,open\n';
      const c = await post(queue, csv, bearer(TOK_IN));
      expect(c.status).toBe(403);
      expect(c.json.error).toMatch(/#scanner= header names 'scan-out'/);
      expect(files(path.join(inbox, 'scan-in'))).toEqual([]);
    });

    test('answers 415 for a body no input agent recognises, and 400 for gzip that does not decompress', async () => {
      const u = await post(queue, 'hello, this is not a scan\n'.repeat(10), bearer(TOK_IN));
      expect(u.status).toBe(415);
      expect(u.json.error).toMatch(/none of the known scan formats/);
      const g = await post(queue, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), bearer(TOK_IN));
      expect(g.status).toBe(400);
      expect(g.json.error).toMatch(/gzip but does not decompress/);
      const e = await post(queue, '', bearer(TOK_IN));
      expect(e.status).toBe(400);
      expect(e.json.error).toMatch(/empty/);
      expect(files(path.join(inbox, 'scan-in'))).toEqual([]);
    });

    test('answers 413 past max_body: declared length, chunked body, and gzip that inflates past it', async () => {
      const big = Buffer.concat([fs.readFileSync(N1), Buffer.alloc(MAX, 0x20)]);
      const declared = await post(queue, big, bearer(TOK_IN));
      expect(declared.status).toBe(413);
      const chunked = await fetchIt(`${queue.url}/api/v1/scans`, { method: 'POST', headers: bearer(TOK_IN), chunks: [big.subarray(0, 40000), big.subarray(40000)], ca: pki.caCert });
      expect(chunked.status).toBe(413);
      const bomb = zlib.gzipSync(Buffer.concat([fs.readFileSync(N1).subarray(0, 2000), Buffer.alloc(4 * MAX, 0x20)]));
      expect(bomb.length).toBeLessThan(MAX);
      const inflated = await post(queue, bomb, bearer(TOK_IN));
      expect(inflated.status).toBe(413);
      expect(inflated.json.error).toMatch(/larger than the server's limit of 65536 bytes/);
      expect(files(path.join(inbox, 'scan-in'))).toEqual([]);
    });

    test('queues an upload atomically into inbox/<scanner>/; plain, declared gzip and sniffed gzip store the same bytes', async () => {
      const body = fs.readFileSync(N1);
      const plain = await post(queue, body, { ...bearer(TOK_IN), 'Content-Type': 'application/xml' });
      expect(plain.status).toBe(202);
      expect(plain.json).toMatchObject({ status: 'queued', scanner: 'scan-in', format: 'nmap-xml', bytes: body.length, sha256: sha(body) });
      const stored = path.join(inbox, plain.json.file);
      expect(fs.readFileSync(stored)).toEqual(body);
      const gz = zlib.gzipSync(body);
      const declared = await post(queue, gz, { ...bearer(TOK_IN), 'Content-Encoding': 'gzip' });
      const sniffed = await post(queue, gz, bearer(TOK_IN));
      expect([declared.status, sniffed.status]).toEqual([202, 202]);
      expect(declared.json.sha256).toBe(sha(body));
      expect(sniffed.json.sha256).toBe(sha(body));
      const csv = `#portdelta-csv v1\n#scanner=scan-out\n#started=2026-01-01T00:00:00Z\n#complete=true\n#scope=10.9.0.0/24\nip,proto,port,state\n10.9.0.1,tcp,22,open\n`;
      const own = await post(queue, csv, bearer(TOK_OUT), '?scanner=scan-out');
      expect(own.status).toBe(202);
      expect(own.json.file).toMatch(/^scan-out\/.*\.csv$/);
      const left = [...files(path.join(inbox, 'scan-in')), ...files(path.join(inbox, 'scan-out'))];
      expect(left.filter((f) => f.endsWith('.part') || f.startsWith('.'))).toEqual([]);
      expect(files(path.join(inbox, 'scan-in')).length).toBeGreaterThanOrEqual(1);
    });

    test('with --ingest the answer is the ingest summary and the changes show in `portdelta changes`', async () => {
      const first = await post(ingest, fs.readFileSync(N1), bearer(TOK_IN));
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ scanner: 'scan-in', format: 'nmap-xml', status: 'applied', complete: true });
      expect(first.json.change_count).toBeGreaterThan(0);
      const second = await post(ingest, zlib.gzipSync(fs.readFileSync(N2)), { ...bearer(TOK_IN), 'Content-Encoding': 'gzip' });
      expect(second.json.status).toBe('applied');
      const again = await post(ingest, fs.readFileSync(N2), bearer(TOK_IN));
      expect(again.json.status).toBe('duplicate');
      const changes = await cliJson<Array<{ scanner: string; scan_id: number }>>(['--db', db, 'changes']);
      expect(changes.filter((c) => c.scan_id === first.json.scan_id)).toHaveLength(first.json.change_count);
      expect(changes.filter((c) => c.scan_id === second.json.scan_id)).toHaveLength(second.json.change_count);
      expect(new Set(changes.map((c) => c.scanner))).toEqual(new Set(['scan-in']));
    });

    test('the read API answers with the CLI\'s JSON, filters and messages', async () => {
      expect((await fetchIt(`${ingest.url}/api/v1/changes`, { ca: pki.caCert })).status).toBe(401);
      const all = await get(ingest, '/api/v1/changes');
      expect(all.status).toBe(200);
      expect(all.json).toEqual(await cliJson(['--db', db, 'changes']));
      expect(all.json.length).toBeGreaterThan(0);
      const filtered = await get(ingest, '/api/v1/changes?type=new_port,port_closed&network=10.66.1.10&network=10.66.1.11&scanner=scan-in&after_id=3');
      expect(filtered.json).toEqual(await cliJson(['--db', db, 'changes', '--type', 'new_port,port_closed', '--network', '10.66.1.10', '--network', '10.66.1.11', '--scanner', 'scan-in', '--after-id', '3']));
      expect(filtered.json.length).toBeGreaterThan(0);
      const state = await get(ingest, '/api/v1/state?network=10.66.1.0/28');
      expect(state.json).toEqual(await cliJson(['--db', db, 'state', '--network', '10.66.1.0/28']));
      const host = await get(ingest, '/api/v1/hosts/10.66.1.10');
      const hosts = await cliJson<Array<{ ip: string }>>(['--db', db, 'hosts']);
      const ports = await cliJson<Array<{ ip: string }>>(['--db', db, 'state']);
      expect(host.json).toEqual({ ip: '10.66.1.10', hosts: hosts.filter((h) => h.ip === '10.66.1.10'), ports: ports.filter((p) => p.ip === '10.66.1.10') });
      expect((await get(ingest, '/api/v1/hosts/10.66.1.250')).status).toBe(404);
      expect((await get(ingest, '/api/v1/hosts/not-an-ip')).status).toBe(400);
    });

    test('an upload token reads only its own scanner\'s data; asking for another scanner is a 403', async () => {
      const csv = `#portdelta-csv v1\n#scanner=scan-out\n#started=2026-01-01T00:00:00Z\n#complete=true\n#scope=10.9.0.0/24\nip,proto,port,state\n10.9.0.1,tcp,22,open\n`;
      expect((await post(ingest, csv, bearer(TOK_OUT))).json.status).toMatch(/applied|duplicate/);
      for (const [token, scanner] of [[TOK_IN, 'scan-in'], [TOK_OUT, 'scan-out']]) {
        const own = await get(ingest, '/api/v1/changes', token);
        expect(own.status).toBe(200);
        expect(own.json.length).toBeGreaterThan(0);
        expect(own.json).toEqual(await cliJson(['--db', db, 'changes', '--scanner', scanner]));
        expect((await get(ingest, `/api/v1/changes?scanner=${scanner}`, token)).json).toEqual(own.json);
        expect((await get(ingest, '/api/v1/state', token)).json).toEqual(await cliJson(['--db', db, 'state', '--scanner', scanner]));
      }
      const both = await get(ingest, '/api/v1/changes');
      expect(new Set(both.json.map((c: { scanner: string }) => c.scanner))).toEqual(new Set(['scan-in', 'scan-out']));
      // 10.66.1.10 is known to scan-in only: scan-out's token does not learn about it.
      expect((await get(ingest, '/api/v1/hosts/10.66.1.10', TOK_IN)).status).toBe(200);
      expect((await get(ingest, '/api/v1/hosts/10.66.1.10', TOK_OUT)).status).toBe(404);
      for (const p of ['/api/v1/changes?scanner=scan-in', '/api/v1/state?scanner=scan-in', '/api/v1/hosts/10.66.1.10?scanner=scan-in']) {
        const r = await get(ingest, p, TOK_OUT);
        expect(r.status).toBe(403);
        expect(r.json.error).toBe("this token is bound to scanner 'scan-out' and may read only its data, not scanner 'scan-in'");
        expect(r.json.remedy).toMatch(/server\.read_tokens/);
      }
      expect(await logWhen(ingest, (l) => /GET \/api\/v1\/changes 200 read_token=#1/.test(l))).toMatch(/GET \/api\/v1\/changes 200 read_token=#1/);
      expect(ingest.log()).not.toContain(TOK_READ);
    });

    test('a read token cannot upload (403, nothing stored)', async () => {
      const queued = () => fs.readdirSync(inbox, { recursive: true }).map(String).sort();
      const [filesBefore, changesBefore] = [queued(), await cliJson(['--db', db, 'changes'])];
      for (const s of [queue, ingest]) {
        const r = await post(s, fs.readFileSync(N1), bearer(TOK_READ));
        expect(r.status).toBe(403);
        expect(r.json.error).toMatch(/read token .* may read, not upload/);
      }
      expect(queued()).toEqual(filesBefore);
      expect(await cliJson(['--db', db, 'changes'])).toEqual(changesBefore);
    });

    test.each([
      ['/api/v1/changes?since=yesterday', ['changes', '--since', 'yesterday']],
      ['/api/v1/changes?type=bogus', ['changes', '--type', 'bogus']],
      ['/api/v1/state?network=10.0.0.0/99', ['state', '--network', '10.0.0.0/99']],
    ])('a bad parameter is a 400 with the CLI\'s message: %s', async (p, args) => {
      const r = await get(ingest, p);
      expect(r.status).toBe(400);
      const c = await cli(['--db', db, ...args]);
      expect(c.code).toBe(2);
      expect(c.stderr).toContain(r.json.error);
      expect(c.stderr).toContain(r.json.remedy);
    });

    test('unknown parameters and endpoints are refused clearly', async () => {
      const r = await get(ingest, '/api/v1/changes?sinse=1d');
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(/unknown parameter 'sinse'/);
      expect((await get(ingest, '/api/v1/nothing')).status).toBe(404);
      expect((await fetchIt(`${ingest.url}/api/v1/changes`, { method: 'DELETE', headers: bearer(TOK_IN), ca: pki.caCert })).status).toBe(405);
    });
  });
});
