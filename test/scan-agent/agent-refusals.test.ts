// What the agent refuses before it scans anything: a bad config (every problem with its path), a
// token over plain HTTP to a non-loopback host, a TLS certificate it cannot verify, and phpIPAM's
// "no such scan agent". No nmap and no database needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAgent } from '../helpers/agent';
import { makeTestPki, type TestPki } from '../helpers/tls';
import { describeUnless, missingTool } from '../helpers/needs';
import { startStandin, type Standin } from '../helpers/phpipam-standin';

const skip = missingTool('openssl', 'version');

describe('agent config', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-agent-cfg-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('lists every malformed key with its path, exit 2', async () => {
    const r = await runAgent(dir, { api_url: 'ftp://ipam', http_port: 70000, cache_expire_time: -5, subnets: ['10.0.0.0/99'], colour: 'red' });
    expect(r.code).toBe(2);
    for (const key of ['api_url:', 'http_port:', 'cache_expire_time:', 'subnets.0:', "Unrecognized key(s) in object: 'colour'"]) expect(r.stderr).toContain(key);
  });

  test('lists missing phpIPAM keys and forbidden nmap_args together', async () => {
    const r = await runAgent(dir, { api_url: 'https://ipam.example.invalid', client_name: 'portdelta', nmap_args: ['-sT', '-oX', 'x.xml', '-iL', 'list', '10.1.2.3'] });
    expect(r.code).toBe(2);
    for (const key of ['client_token: missing', 'scanagent_code: missing', 'nmap_args: names targets (10.1.2.3)', 'nmap_args: -oX x.xml is not allowed', 'nmap_args: -iL list is not allowed']) {
      expect(r.stderr).toContain(key);
    }
  });

  test.each(['archive', 'failed', 'night.tmp'])('refuses scanner: %s, a name whose uploads the watcher would never ingest', async (scanner) => {
    const r = await runAgent(dir, { subnets: ['127.0.0.1/32'], scanner, outbox_dir: path.join(dir, 'outbox-name') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`scanner: (the watcher skips a folder named '${scanner}'|'${scanner}' is the name of the watcher's own folder)`));
    expect(fs.existsSync(path.join(dir, 'outbox-name'))).toBe(false);
  });

  test('refuses a port in http_server that http_port contradicts', async () => {
    const r = await runAgent(dir, { subnets: ['127.0.0.1/32'], http_server: 'https://pd.example.invalid:8443', http_port: 5000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('http_port: 5000 differs from port 8443 in http_server: give the port in one place');
  });

  test('needs something to scan', async () => {
    const r = await runAgent(dir, { http_server: 'https://127.0.0.1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to scan: give `subnets` or the phpIPAM settings/);
  });

  test.each([
    [{ http_server: 'http://example.invalid', auth_token: 'secret-token-0123456789', subnets: ['127.0.0.1/32'] }, 'http_server: plain HTTP to example.invalid would send auth_token in clear'],
    [{ api_url: 'http://example.invalid', client_name: 'a', client_token: 't', scanagent_code: 'c' }, 'api_url: plain HTTP to example.invalid would send client_token in clear'],
  ])('refuses a token over plain HTTP to a non-loopback host before any connection (%#)', async (config, message) => {
    const outbox = path.join(dir, 'outbox-http');
    const cache = path.join(dir, 'cache-http');
    const r = await runAgent(dir, { ...config, outbox_dir: outbox, cache_dir: cache });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/scan |upload /);
    expect(fs.existsSync(outbox) || fs.existsSync(cache)).toBe(false);
  });
});

describeUnless(skip, 'the agent against a phpIPAM stand-in over HTTPS', () => {
  describe('agent against phpIPAM over HTTPS', () => {
    let pki: TestPki;
    let dir: string;
    let ipam: Standin;
    const TOKEN = 'phpipam-app-token-0123';
    const base = () => ({
      api_url: ipam.url, client_name: 'portdelta', client_token: TOKEN, scanagent_code: 'lab-code',
      http_server: 'https://127.0.0.1', http_port: 9, auth_token: 'upload-token-0123456789',
      cache_dir: path.join(dir, 'cache'), outbox_dir: path.join(dir, 'outbox'),
    });

    beforeAll(async () => {
      pki = await makeTestPki();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-agent-tls-'));
      ipam = await startStandin(pki, {
        app: 'portdelta', token: TOKEN,
        agents: [{ id: '4', name: 'lab agent', description: 'test', type: 'mysql', code: 'lab-code', last_access: null }],
        subnets: [],
        addresses: {},
      });
    });
    afterAll(async () => {
      await ipam.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    test.each([
      ['no ca_file (the test CA is not a public one)', {}],
      ['a ca_file of another CA', { ca_file: 'OTHER' }],
    ])('refuses phpIPAM\'s certificate with %s', async (_what, extra) => {
      const before = ipam.requests.length;
      const ca = (extra as { ca_file?: string }).ca_file ? { ca_file: pki.otherCaCert } : {};
      const r = await runAgent(dir, { ...base(), ...ca });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+ not accepted/);
      expect(ipam.requests.length).toBe(before);
    });

    test('reports phpIPAM\'s 404 for an unknown scan agent code, and does not cache it', async () => {
      const before = ipam.requests.length;
      for (let i = 0; i < 2; i++) {
        const r = await runAgent(dir, { ...base(), ca_file: pki.caCert, scanagent_code: 'nope' });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("phpIPAM knows no scan agent with code 'nope'");
      }
      expect(ipam.requests.slice(before)).toEqual(Array(2).fill('/api/portdelta/tools/scanagents/?filter_by=code&filter_value=nope'));
    });

    test('reports a refused API token with phpIPAM\'s message', async () => {
      const r = await runAgent(dir, { ...base(), ca_file: pki.caCert, client_token: 'wrong', cache_dir: path.join(dir, 'cache-wrong') });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('phpIPAM refused scan agent \'lab-code\': HTTP 403, "Invalid token"');
    });

    test('an agent with no subnets assigned scans nothing and says so', async () => {
      const r = await runAgent(dir, { ...base(), ca_file: pki.caCert, cache_dir: path.join(dir, 'cache-none') });
      expect(r.stderr).toContain('targets: none');
      expect(r.code).toBe(0);
      expect(ipam.requests.at(-1)).toBe('/api/portdelta/subnets/?filter_by=scanAgent&filter_value=4');
    });
  });
});
