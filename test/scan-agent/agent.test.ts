// The agent end to end: a phpIPAM stand-in (HTTPS, test CA) assigns subnets, REAL nmap scans
// 127.0.0.1 where the test opened listeners, and `serve --ingest` over TLS takes the reports, so
// `portdelta changes` shows the ports. Also: the cache and its expiry under a shifted clock, a
// server certificate it cannot verify, and a server that is down (the report is kept, then arrives once).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { forEachDb } from '../helpers/db';
import { cliJson } from '../helpers/cli';
import { runAgent } from '../helpers/agent';
import { logWhen, startServe, type Served } from '../helpers/serve';
import { makeTestPki, type TestPki } from '../helpers/tls';
import { describeUnless, missingTool } from '../helpers/needs';
import { phpipamSubnet, startStandin, type Standin } from '../helpers/phpipam-standin';
import type { ChangeRow } from '../../common/types';

const skip = missingTool('nmap') ?? missingTool('openssl', 'version');
const APP_TOKEN = 'phpipam-app-token-0123';
const UPLOAD_TOKEN = 'agent-upload-token-0123456789';

function listen(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer((c) => c.destroy());
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: net.Server): number => (s.address() as AddressInfo).port;
const posts = (log: string): number => (log.match(/POST \/api\/v1\/scans 2\d\d/g) ?? []).length;

describeUnless(skip, 'the agent with real nmap', () => {
  forEachDb('agent', (tdb) => {
    let pki: TestPki;
    let dir: string;
    let db: string;
    let ipam: Standin;
    let serve: Served;
    let listeners: net.Server[];
    let ports: number[];
    const base = () => ({
      api_url: ipam.url, client_name: 'portdelta', client_token: APP_TOKEN, scanagent_code: 'lab-code',
      http_server: 'https://127.0.0.1', http_port: Number(new URL(serve.url).port), auth_token: UPLOAD_TOKEN,
      ca_file: pki.caCert, cache_dir: path.join(dir, 'cache'), outbox_dir: path.join(dir, 'outbox'),
      nmap_args: ['-sT', '-p', ports.join(',')],
    });
    const changes = () => cliJson<ChangeRow[]>(['--db', db, 'changes']);

    beforeAll(async () => {
      pki = await makeTestPki();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-agent-'));
      db = tdb.fresh();
      listeners = [await listen(), await listen(), await listen()];
      ports = listeners.map(portOf).sort((a, b) => a - b);
      ipam = await startStandin(pki, {
        app: 'portdelta', token: APP_TOKEN,
        agents: [
          { id: '2', name: 'other', description: null, type: 'mysql', code: 'other-code', last_access: null },
          { id: '3', name: 'lab agent', description: 'portdelta test', type: 'mysql', code: 'lab-code', last_access: null },
        ],
        // Only discoverSubnet = 1 is scanned: 127.0.0.2 would answer (all of 127/8 is local) if it were.
        subnets: [phpipamSubnet('7', '127.0.0.1', '32', '3', '1'), phpipamSubnet('8', '127.0.0.2', '32', '3', '0'), phpipamSubnet('9', '127.0.0.3', '32', '2', '1')],
        addresses: { '7': [{ id: '70', subnetId: '7', ip: '127.0.0.1', is_gateway: '0', description: null, hostname: 'localhost', mac: null, owner: null, tag: '2', deviceId: null, lastSeen: null }] },
      });
      const cfg = path.join(dir, 'portdelta.yaml');
      fs.writeFileSync(cfg, `server:\n  tls: { cert: ${JSON.stringify(pki.cert)}, key: ${JSON.stringify(pki.key)} }\n  tokens: { "${UPLOAD_TOKEN}": lab-agent }\n`);
      serve = await startServe(['--db', db, '--config', cfg, 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    });

    afterAll(async () => {
      expect(await serve?.stop()).toBe(0);
      await ipam?.close();
      for (const l of listeners ?? []) l.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    test('a run finds its subnets in phpIPAM, scans them with nmap and its changes show in `portdelta changes`', async () => {
      const r = await runAgent(dir, base());
      expect(r.stderr).toContain('targets: 127.0.0.1/32\n');
      expect(r.code).toBe(0);
      expect(ipam.requests).toEqual([
        '/api/portdelta/tools/scanagents/?filter_by=code&filter_value=lab-code',
        '/api/portdelta/subnets/?filter_by=scanAgent&filter_value=3',
        '/api/portdelta/subnets/7/addresses/',
      ]);
      const rows = await changes();
      expect(rows.every((c) => c.scanner === 'lab-agent' && c.ip === '127.0.0.1')).toBe(true);
      const opened = rows.filter((c) => c.types.includes('new_port')).map((c) => c.port).sort((a, b) => a! - b!);
      expect(opened).toEqual(ports);
      expect(rows.filter((c) => c.port !== null).every((c) => c.type === 9)).toBe(true);
      expect(fs.readdirSync(path.join(dir, 'outbox'))).toEqual([]);
    });

    test('a second run within cache_expire_time asks phpIPAM nothing; a clock shifted past it asks again', async () => {
      const asked = ipam.requests.length;
      const again = await runAgent(dir, base());
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('from the cache');
      const early = await runAgent(dir, { ...base(), epoch_time_offset: 1000 });
      expect(early.code).toBe(0);
      expect(ipam.requests.length).toBe(asked);
      const late = await runAgent(dir, { ...base(), epoch_time_offset: 1800 });
      expect(late.code).toBe(0);
      expect(late.stderr).toMatch(/cache: expired /);
      expect(ipam.requests.length).toBe(asked + 3);
    });

    test('closes a port once its listener is gone', async () => {
      const gone = listeners.shift()!;
      const port = portOf(gone);
      await new Promise((r) => gone.close(r));
      const r = await runAgent(dir, base());
      expect(r.code).toBe(0);
      const closed = (await changes()).filter((c) => c.types.includes('port_closed'));
      expect(closed.map((c) => c.port)).toEqual([port]);
    });

    test('refuses a server certificate it cannot verify, keeping the report', async () => {
      const outbox = path.join(dir, 'outbox-tls');
      const r = await runAgent(dir, { ...base(), ca_file: pki.otherCaCert, api_url: undefined, client_name: undefined, client_token: undefined, scanagent_code: undefined, subnets: ['127.0.0.1/32'], outbox_dir: outbox });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+ not accepted/);
      expect(fs.readdirSync(outbox).filter((f) => f.endsWith('.xml.gz'))).toHaveLength(1);
    });

    test('with the server down the report is kept; once it is up the report arrives exactly once', async () => {
      const outbox = path.join(dir, 'outbox-down');
      const closed = await listen();
      const downPort = portOf(closed);
      await new Promise((r) => closed.close(r));
      const config = { ...base(), api_url: undefined, client_name: undefined, client_token: undefined, scanagent_code: undefined, subnets: ['127.0.0.1/32'], outbox_dir: outbox };

      const down = await runAgent(dir, { ...config, http_port: downPort });
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+/);
      const kept = fs.readdirSync(outbox).filter((f) => f.endsWith('.xml.gz'));
      expect(kept).toHaveLength(1);

      const before = posts(serve.log());
      const up = await runAgent(dir, config);
      expect(up.code).toBe(0);
      expect(up.stderr).toContain('outbox: sending 1 report(s) kept by an earlier run');
      expect(up.stderr).toContain(`upload ${kept[0]}: HTTP 200 (status=applied scanner=lab-agent`);
      expect(up.stderr.indexOf(`upload ${kept[0]}`)).toBeLessThan(up.stderr.indexOf('scan config 127.0.0.1/32'));
      expect(posts(await logWhen(serve, (l) => posts(l) >= before + 2))).toBe(before + 2);
      expect(fs.readdirSync(outbox).filter((f) => f.endsWith('.xml.gz'))).toEqual([]);

      const next = await runAgent(dir, config);
      expect(next.code).toBe(0);
      expect(posts(await logWhen(serve, (l) => posts(l) >= before + 3))).toBe(before + 3);
      expect(next.stderr).not.toContain(kept[0]);
    });

    test.each([
      ['a wrong token (401)', { auth_token: 'a-rotated-or-wrong-token-0123' }, 401],
      ['a token of another scanner (403)', { scanner: 'someone-else' }, 403],
    ])('with %s every report is kept, not rejected; with the right credentials it arrives exactly once', async (_what, wrong, status) => {
      const outbox = path.join(dir, `outbox-auth-${status}`);
      const config = { ...base(), api_url: undefined, client_name: undefined, client_token: undefined, scanagent_code: undefined, subnets: ['127.0.0.1/32'], outbox_dir: outbox };

      const first = await runAgent(dir, { ...config, ...wrong });
      expect(first.code).toBe(2);
      expect(first.stderr).toMatch(new RegExp(`HTTP ${status} .*the server refused this agent's credentials; 1 report\\(s\\) kept`));
      expect(first.stderr).toContain("check auth_token (and scanner) in the agent config and the server's server.tokens");
      expect(first.stdout).toContain('1 kept, 0 refused');
      // A second run with the same credentials scans again but stops sending at the first refusal.
      const second = await runAgent(dir, { ...config, ...wrong });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('outbox: not sending again in this run');
      const kept = fs.readdirSync(outbox).filter((f) => f.endsWith('.xml.gz'));
      expect(kept).toHaveLength(2);
      expect(fs.existsSync(path.join(outbox, 'rejected'))).toBe(false);

      const before = posts(serve.log());
      const fixed = await runAgent(dir, config);
      expect(fixed.code).toBe(0);
      // Two scans of the same listeners within one second can be the same bytes: the server then
      // records the second as a duplicate of the first. Either way each kept report went out once.
      for (const k of kept) {
        expect(fixed.stderr.split(`upload ${k}: HTTP 200 (status=`).length - 1).toBe(1);
        expect(fixed.stderr).toMatch(new RegExp(`upload ${k.replace(/\./g, '\\.')}: HTTP 200 \\(status=(applied|duplicate) scanner=lab-agent`));
      }
      expect(posts(await logWhen(serve, (l) => posts(l) >= before + 3))).toBe(before + 3);
      expect(fs.readdirSync(outbox).filter((f) => f.endsWith('.xml.gz'))).toEqual([]);
      const next = await runAgent(dir, config);
      expect(next.code).toBe(0);
      expect(posts(await logWhen(serve, (l) => posts(l) >= before + 4))).toBe(before + 4);
      for (const k of kept) expect(next.stderr).not.toContain(k);
    });
  });
});
