// Kind phpipam against a stand-in of phpIPAM's REST API over HTTPS on 127.0.0.1 (a test CA made by
// openssl, given as ca_file), on SQLite and PostgreSQL: every request checked (method, path, token
// header, JSON body); lastSeen and MAC of every host a scan saw up, once per run; hostnames on a PTR
// change; addresses created in the most specific subnet; a gone host tagged or marked in a custom
// field; the subnets' discovery time; hostile names never written; 5xx midway, a timeout, a wrong
// token, a read-only app and an unknown CA fail the run, and once phpIPAM is back each change is
// written once.
import { forEachDb } from '../helpers/db';
import { describeUnless, missingTool } from '../helpers/needs';
import { phpipamAddress, phpipamSubnet, startPhpipamApi, type PhpipamApi, type PhpipamData } from '../helpers/phpipam-api';
import { inventoryLab } from '../helpers/inventory-lab';
import { makeTestPki, type TestPki } from '../helpers/tls';
import { startApiStandin } from '../helpers/api-standin';
import { batchOf, hostileChanges } from '../helpers/report-batch';
import { phpipamAgent } from '../../output-agents/phpipam';

const TOKEN = 'app-code-5f2c9a1d7e';
const HOSTILE = '<script>alert(1)</script>\r\nx';

function data(extra: Partial<PhpipamData> = {}): PhpipamData {
  return {
    app: 'portdelta',
    token: TOKEN,
    subnets: [phpipamSubnet('3', '10.9.0.0', '24', '1', '1'), phpipamSubnet('4', '10.9.0.0', '26', '1', '1'), { ...phpipamSubnet('5', '10.0.0.0', '8', '1', '0'), isFolder: '1' }],
    addresses: [
      phpipamAddress('1', '4', '10.9.0.10', 'old.example'),
      phpipamAddress('2', '3', '10.9.0.200', null),
      phpipamAddress('3', '3', '10.9.0.201', null, { custom_seen_state: null }),
    ],
    ...extra,
  };
}

/** A night as uniform CSV with a MAC column. */
function scan(started: string, rows: string[]): string {
  return ['#portdelta-csv v1', '#scanner=scan-in', `#started=${started}`, '#complete=true', '#scope=10.0.0.0/8', '#ports=tcp:1-9000', '#dns=true',
    'ip,proto,port,state,hostname,seen_at,mac', ...rows, ''].join('\n');
}
const NIGHT1 = '2026-01-01T02:00:00Z';
const NIGHT2 = '2026-01-02T02:00:00Z';
const night1 = scan(NIGHT1, ['10.9.0.10,tcp,22,open,old.example,,00-11-22-aa-bb-cc', '10.9.0.200,tcp,80,open,web.example,,', '10.9.0.201,tcp,443,open,,,', '10.9.0.50,tcp,22,open,new-host.example,,', '10.7.0.1,tcp,22,open,,,']);
const night2 = scan(NIGHT2, ['10.9.0.10,tcp,22,open,new.example,,00:11:22:AA:BB:CC', '10.9.0.200,tcp,80,open,web.example,,', '10.9.0.50,tcp,22,open,new-host.example,,', `10.9.0.60,tcp,8080,open,"${HOSTILE}",,`, '10.7.0.1,tcp,22,open,,,']);
const T1 = '2026-01-01 02:00:00';
const T2 = '2026-01-02 02:00:00';

const requests = (api: PhpipamApi) => api.requests.map((r) => [r.method, r.path, r.body ?? null]);

const skip = missingTool('openssl', 'version');
describeUnless(skip, 'kind phpipam', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
  });

  forEachDb('kind phpipam', (db) => {
    const t = inventoryLab<PhpipamApi>(db);
    const agent = (extra: object = {}) => t.config({ name: 'ipam', kind: 'phpipam', api_url: t.api!.url, client_name: 'portdelta', client_token: TOKEN, ca_file: pki.caCert, rate: 1000, ...extra });
    const ingest = t.ingest;

    test('each run writes lastSeen and MAC of every host its scans saw up, hostnames, new addresses and discovery times: one request each, checked field by field', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      const config = agent({ create_addresses: true, update_hostname: true, host_gone: { tag: 1 } });
      await ingest('n1.csv', night1);
      const first = await t.lab.report(config);
      expect(first.stdout).toMatch(/^ipam \(phpipam\): \d+ changes delivered\n$/);
      expect(requests(api)).toEqual([
        ['GET', '/api/portdelta/subnets/', null],
        ['GET', '/api/portdelta/subnets/4/addresses/', null],
        ['GET', '/api/portdelta/subnets/3/addresses/', null],
        ['PATCH', '/api/portdelta/addresses/1/', { lastSeen: T1, mac: '00:11:22:AA:BB:CC' }],
        ['PATCH', '/api/portdelta/addresses/2/', { lastSeen: T1, hostname: 'web.example' }],
        ['PATCH', '/api/portdelta/addresses/3/', { lastSeen: T1 }],
        ['POST', '/api/portdelta/addresses/', { subnetId: '4', ip: '10.9.0.50', lastSeen: T1, hostname: 'new-host.example', description: 'found by portdelta (scanner scan-in)', tag: 2 }],
        ['PATCH', '/api/portdelta/subnets/4/', { lastDiscovery: T1 }],
        ['PATCH', '/api/portdelta/subnets/3/', { lastDiscovery: T1 }],
      ]);
      for (const r of api.requests) {
        expect([r.headers.token, r.headers.accept, r.status]).toEqual([TOKEN, 'application/json', r.method === 'POST' ? 201 : 200]);
        if (r.method !== 'GET') expect(r.headers['content-type']).toBe('application/json');
      }
      expect((await t.lab.report(config)).stdout).toBe('ipam (phpipam): nothing new\n');
      expect(api.requests).toHaveLength(9);

      // Night 2: a PTR change, a host gone, a host seen again without a change, a hostile name.
      await ingest('n2.csv', night2);
      const second = await t.lab.report(config);
      expect(second.code).toBe(0);
      expect(requests(api).slice(9)).toEqual([
        ['GET', '/api/portdelta/subnets/', null],
        ['GET', '/api/portdelta/subnets/4/addresses/', null],
        ['GET', '/api/portdelta/subnets/3/addresses/', null],
        ['PATCH', '/api/portdelta/addresses/1/', { lastSeen: T2, hostname: 'new.example' }],
        ['PATCH', '/api/portdelta/addresses/4/', { lastSeen: T2 }],
        ['PATCH', '/api/portdelta/addresses/2/', { lastSeen: T2 }],
        ['PATCH', '/api/portdelta/addresses/3/', { tag: 1 }],
        ['POST', '/api/portdelta/addresses/', { subnetId: '4', ip: '10.9.0.60', lastSeen: T2, description: 'found by portdelta (scanner scan-in)', tag: 2 }],
        ['PATCH', '/api/portdelta/subnets/4/', { lastDiscovery: T2 }],
        ['PATCH', '/api/portdelta/subnets/3/', { lastDiscovery: T2 }],
      ]);
      expect(second.stderr).toContain('phpIPAM: hostname <script>alert(1)</script>\\x0d\\x0ax not written: not a plain DNS name');
      expect(api.data.addresses.map((a) => [a.ip, a.hostname, a.tag])).toEqual([
        ['10.9.0.10', 'new.example', '2'], ['10.9.0.200', 'web.example', '2'], ['10.9.0.201', null, '1'], ['10.9.0.50', 'new-host.example', '2'], ['10.9.0.60', null, '2'],
      ]);
    });

    test('without the opt-ins it only records sightings: no hostname, no new address, no tag', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      await ingest('n1.csv', night1);
      await ingest('n2.csv', night2);
      expect((await t.lab.report(agent())).code).toBe(0);
      const writes = api.writes().map((w) => [w.path, w.body]);
      expect(writes).toEqual([
        ['/api/portdelta/addresses/1/', { lastSeen: T2, mac: '00:11:22:AA:BB:CC' }],
        ['/api/portdelta/addresses/2/', { lastSeen: T2 }],
        ['/api/portdelta/addresses/3/', { lastSeen: T1 }],
        ['/api/portdelta/subnets/4/', { lastDiscovery: T2 }],
        ['/api/portdelta/subnets/3/', { lastDiscovery: T2 }],
      ]);
    });

    test('with include_baseline: false a first scan still refreshes the sightings of its hosts, but creates nothing', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      await ingest('n1.csv', night1);
      expect((await t.lab.report(agent({ include_baseline: false, create_addresses: true }))).code).toBe(0);
      expect(api.writes().map((w) => [w.method, w.path, w.body])).toEqual([
        ['PATCH', '/api/portdelta/addresses/1/', { lastSeen: T1, mac: '00:11:22:AA:BB:CC' }],
        ['PATCH', '/api/portdelta/addresses/2/', { lastSeen: T1 }],
        ['PATCH', '/api/portdelta/addresses/3/', { lastSeen: T1 }],
        ['PATCH', '/api/portdelta/subnets/4/', { lastDiscovery: T1 }],
        ['PATCH', '/api/portdelta/subnets/3/', { lastDiscovery: T1 }],
      ]);
    });

    test('an agent\'s networks limit the sightings it writes, as they limit its changes', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      await ingest('n1.csv', night1);
      expect((await t.lab.report(agent({ networks: ['10.9.0.192/26'] }))).code).toBe(0);
      expect(api.writes().map((w) => [w.path, w.body])).toEqual([
        ['/api/portdelta/addresses/2/', { lastSeen: T1 }],
        ['/api/portdelta/addresses/3/', { lastSeen: T1 }],
        ['/api/portdelta/subnets/3/', { lastDiscovery: T1 }],
      ]);
    });

    test('host_gone with a custom field marks a gone host there and clears it when the host is back', async () => {
      const api = (t.api = await startPhpipamApi(data({ customFields: ['custom_seen_state'] }), pki));
      const config = agent({ host_gone: { field: 'custom_seen_state', value: 'gone (portdelta)' } });
      await ingest('n1.csv', night1);
      await ingest('n2.csv', night2);
      expect((await t.lab.report(config)).code).toBe(0);
      expect(api.data.addresses.find((a) => a.ip === '10.9.0.201')!.custom_seen_state).toBe('gone (portdelta)');
      await ingest('n3.csv', scan('2026-01-03T02:00:00Z', ['10.9.0.201,tcp,443,open,,,']));
      expect((await t.lab.report(config)).code).toBe(0);
      expect(api.writes().at(-2)!.body).toEqual({ lastSeen: '2026-01-03 02:00:00', custom_seen_state: '' });
    });

    test.each([
      ['a 5xx midway through the writes', (a: PhpipamApi) => a.failAfter(5, 500, { code: 500, success: false, message: 'Database error' }), /answered 500: Database error.*phpIPAM failed: check its state and logs/s, {}],
      ['no answer within the timeout', (a: PhpipamApi) => a.hang(), /no answer within 1s.*raise the agent's timeout/s, { timeout: '1s' }],
      ['a wrong token', (a: PhpipamApi) => void (a.data.token = 'rotated'), /answered 401: Unauthorized.*check client_name and client_token/s, {}],
      ['a read-only API app', (a: PhpipamApi) => void (a.data.write = false), /answered 401: invalid permissions.*read\/write permission/s, {}],
    ])('%s fails the run with its remedy; once phpIPAM is back each change is written once', async (_what, breakIt, said, extra) => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      const config = agent({ create_addresses: true, update_hostname: true, ...extra });
      await ingest('n1.csv', night1);
      const good = { token: api.data.token, write: api.data.write };
      breakIt(api);
      const failed = await t.lab.report(config);
      expect(failed.code).toBe(2);
      expect(failed.stdout.replace(/\n/g, ' ')).toMatch(said);
      expect(failed.stdout).toMatch(/FAILED: .*; \d+ changes will be retried on the next run\n/);
      api.recover();
      Object.assign(api.data, good);
      expect((await t.lab.report(config)).stdout).toMatch(/^ipam \(phpipam\): \d+ changes delivered\n$/);
      expect((await t.lab.report(config)).stdout).toBe('ipam (phpipam): nothing new\n');
      // Each address once (the new host created by exactly one POST), each with the night's sighting.
      expect(api.data.addresses.map((a) => [a.ip, a.lastSeen])).toEqual([['10.9.0.10', T1], ['10.9.0.200', T1], ['10.9.0.201', T1], ['10.9.0.50', T1]]);
      expect(api.writes().filter((w) => w.method === 'POST')).toHaveLength(1);
    }, 30_000);

    test('a peer that echoes the token in its error does not get it into the output; a ca_file that cannot be read is named', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      await ingest('n1.csv', night1);
      api.failWith(500, { code: 500, success: false, message: `SQLSTATE: token=${TOKEN} rejected` });
      const r = await t.lab.report(agent());
      expect(r.stdout).toContain('answered 500: SQLSTATE: token=… rejected');
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      api.recover();
      const missing = await t.lab.report(agent({ ca_file: `${pki.dir}/no-such-ca.pem` }));
      expect(missing.stdout).toMatch(/FAILED: cannot read the ca_file .*no-such-ca\.pem for phpIPAM: ENOENT/);
    });

    test('a certificate from another CA is refused: nothing is written and the remedy names ca_file', async () => {
      const api = (t.api = await startPhpipamApi(data(), pki));
      await ingest('n1.csv', night1);
      const r = await t.lab.report(agent({ ca_file: pki.otherCaCert }));
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/TLS certificate not accepted.*\n {2}remedy: give the CA that signed the server's certificate as ca_file/);
      expect(api.requests).toEqual([]);
    });
  });
});

test('a 404 that is not phpIPAM\'s own "none" (api_url pointing at a web page) fails the delivery instead of finding nothing to write', async () => {
  // A web server's 404 with no phpIPAM answer in it: before, it read as "no subnets", and the changes counted as delivered.
  const web = await startApiStandin(() => ({ status: 404 }));
  try {
    const options = phpipamAgent.parseOptions({ api_url: `${web.url}/ipam`, client_name: 'portdelta', client_token: TOKEN, rate: 1000 });
    const deps = { log: () => undefined, now: () => new Date() };
    await expect(phpipamAgent.deliver(batchOf(hostileChanges()), options.value!, deps)).rejects.toMatchObject({
      message: 'phpIPAM GET /subnets/ answered 404',
      remedy: expect.stringContaining('check api_url'),
    });
    expect(web.requests.map((r) => [r.method, r.path])).toEqual([['GET', '/ipam/api/portdelta/subnets/']]);
  } finally {
    await web.close();
  }
});
