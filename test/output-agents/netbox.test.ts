// Kind netbox against a stand-in of NetBox's REST API over HTTPS on 127.0.0.1 (a test CA made by
// openssl, given as ca_file), on SQLite and PostgreSQL: every request checked (method, path and
// query, `Authorization: Token`, JSON body); services created on new ports under the address's
// device or VM in the shape of NetBox before and from 4.3, a closed port taken out of the service
// (or the service deleted, or tagged), services portdelta did not make left alone, IP addresses
// created when asked, hostile names kept out; a 5xx midway, a timeout and a wrong token fail the
// run, and once NetBox is back each service is written once.
import { forEachDb } from '../helpers/db';
import { describeUnless, missingTool } from '../helpers/needs';
import { startNetboxApi, type NetboxApi, type NetboxData } from '../helpers/netbox-api';
import { inventoryLab } from '../helpers/inventory-lab';
import { makeTestPki, type TestPki } from '../helpers/tls';

const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const OWN = 'portdelta: seen open by scanner scan-in';

function data(version: string): NetboxData {
  return {
    version,
    token: TOKEN,
    ips: [
      { id: 1, address: '10.9.0.10/24', device: 1 },
      { id: 2, address: '10.9.0.11/24', device: 1 },
      { id: 3, address: '10.9.0.20/24', virtual_machine: 2 },
      { id: 4, address: '10.9.0.30/24', device: null },
    ],
    services: [
      { id: 1, name: 'ssh', protocol: 'tcp', ports: [22], ipaddresses: [1], parent: { type: 'dcim.device', id: 1 }, description: 'managed by hand', tags: [] },
      { id: 2, name: 'web', protocol: 'tcp', ports: [80, 443], ipaddresses: [1], parent: { type: 'dcim.device', id: 1 }, description: OWN, tags: [] },
    ],
    tags: ['portdelta-closed'],
  };
}

function scan(started: string, rows: string[]): string {
  return ['#portdelta-csv v1', '#scanner=scan-in', `#started=${started}`, '#complete=true', '#scope=10.9.0.0/24', '#ports=tcp:1-9000', '#dns=true',
    'ip,proto,port,state,hostname,seen_at', ...rows, ''].join('\n');
}
const night1 = scan('2026-01-01T02:00:00Z', ['10.9.0.10,tcp,22,open,,', '10.9.0.10,tcp,80,open,,', '10.9.0.10,tcp,443,open,,', '10.9.0.11,tcp,80,open,,',
  '10.9.0.20,tcp,5432,open,,', '10.9.0.30,tcp,22,open,,', '10.9.0.99,tcp,22,open,db.example,', '10.9.0.98,tcp,22,open,"<b>x</b>\r\nevil",']);
const night2 = scan('2026-01-02T02:00:00Z', ['10.9.0.10,tcp,80,open,,', '10.9.0.20,tcp,5432,open,,', '10.9.0.30,tcp,22,open,,', '10.9.0.99,tcp,22,open,db.example,', '10.9.0.98,tcp,22,open,,', '10.9.0.11,,,up,,']);
const night3 = scan('2026-01-03T02:00:00Z', ['10.9.0.10,tcp,80,open,,', '10.9.0.10,tcp,443,open,,', '10.9.0.11,tcp,80,open,,', '10.9.0.20,tcp,5432,open,,', '10.9.0.30,tcp,22,open,,', '10.9.0.99,tcp,22,open,db.example,', '10.9.0.98,tcp,22,open,,']);

const QUERY_IPS = 'address=10.9.0.10&address=10.9.0.11&address=10.9.0.20&address=10.9.0.30&address=10.9.0.98&address=10.9.0.99&limit=1000&offset=0';
const requests = (api: NetboxApi) => api.requests.map((r) => [r.method, r.path + (r.query.size ? `?${r.query}` : ''), r.body ?? null]);
const services = (api: NetboxApi) => api.data.services.map((s) => [s.id, s.name, s.ports, s.ipaddresses, s.tags]);

const skip = missingTool('openssl', 'version');
describeUnless(skip, 'kind netbox', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
  });

  forEachDb('kind netbox', (db) => {
    const t = inventoryLab<NetboxApi>(db);
    const agent = (extra: object = {}) => t.config({ name: 'nb', kind: 'netbox', api_url: `${t.api!.url}/api/`, token: TOKEN, ca_file: pki.caCert, rate: 1000, ...extra });
    const ingest = t.ingest;

    test.each([
      ['4.4.1', { parent_object_type: 'dcim.device', parent_object_id: 1 }, { parent_object_type: 'virtualization.virtualmachine', parent_object_id: 2 }],
      ['4.2.9', { device: 1 }, { virtual_machine: 2 }],
    ])('NetBox %s: new ports become services of the device or VM, a closed port leaves its service, services made by hand stay', async (version, onDevice, onVm) => {
      const api = (t.api = await startNetboxApi(data(version), pki));
      const config = agent();
      await ingest('n1.csv', night1);
      const first = await t.lab.report(config);
      expect(first.stdout).toMatch(/^nb \(netbox\): \d+ changes delivered\n$/);
      expect(requests(api)).toEqual([
        ['GET', '/api/status/', null],
        ['GET', `/api/ipam/ip-addresses/?${QUERY_IPS}`, null],
        ['GET', '/api/ipam/services/?ip_address_id=1&ip_address_id=2&ip_address_id=3&ip_address_id=4&limit=1000&offset=0', null],
        ['POST', '/api/ipam/services/', [
          { ...onDevice, name: '80/tcp', protocol: 'tcp', ports: [80], ipaddresses: [2], description: OWN },
          { ...onVm, name: '5432/tcp', protocol: 'tcp', ports: [5432], ipaddresses: [3], description: OWN },
        ]],
      ]);
      for (const r of api.requests) expect([r.headers.authorization, r.headers.accept, r.status]).toEqual([`Token ${TOKEN}`, 'application/json', r.method === 'POST' ? 201 : 200]);
      expect(first.stderr).toContain('NetBox: 2 services created, 0 changed, 0 deleted; 3 open ports on addresses without a device or VM in NetBox');

      await ingest('n2.csv', night2);
      const second = await t.lab.report(config);
      expect(second.code).toBe(0);
      expect(requests(api).slice(4).filter(([m]) => m !== 'GET')).toEqual([
        ['PATCH', '/api/ipam/services/', [{ id: 2, ports: [80] }]],
        ['DELETE', '/api/ipam/services/', [{ id: 3 }]],
      ]);
      expect(second.stderr).toContain('NetBox: service ssh left as it is for 10.9.0.10 22/tcp (not made by portdelta, or shared)');
      expect(services(api)).toEqual([[1, 'ssh', [22], [1], []], [2, 'web', [80], [1], []], [4, '5432/tcp', [5432], [3], []]]);
      expect((await t.lab.report(config)).stdout).toBe('nb (netbox): nothing new\n');
    });

    test('on_close: tag marks every closed service (only_own: false) and takes the tag off when the port opens again', async () => {
      const api = (t.api = await startNetboxApi(data('4.4.1'), pki));
      const config = agent({ on_close: 'tag', only_own: false });
      await ingest('n1.csv', night1);
      await ingest('n2.csv', night2);
      expect((await t.lab.report(config)).code).toBe(0);
      expect(services(api)).toEqual([[1, 'ssh', [22], [1], ['portdelta-closed']], [2, 'web', [80, 443], [1], ['portdelta-closed']], [3, '5432/tcp', [5432], [3], []]]);
      await ingest('n3.csv', night3);
      expect((await t.lab.report(config)).code).toBe(0);
      expect(services(api).slice(0, 3)).toEqual([[1, 'ssh', [22], [1], ['portdelta-closed']], [2, 'web', [80, 443], [1], []], [3, '5432/tcp', [5432], [3], []]]);
      expect(api.writes().at(-1)!.body).toEqual([{ id: 2, tags: [] }]);
      expect(services(api)[3]).toEqual([4, '80/tcp', [80], [2], []]);
    });

    test('create_ip_addresses adds the unknown addresses, with their DNS name only when it is a plain one', async () => {
      const api = (t.api = await startNetboxApi(data('4.4.1'), pki));
      await ingest('n1.csv', night1);
      expect((await t.lab.report(agent({ create_ip_addresses: true }))).code).toBe(0);
      const post = api.requests.find((r) => r.method === 'POST' && r.path === '/api/ipam/ip-addresses/')!;
      expect(post.body).toEqual([
        { address: '10.9.0.98/32', status: 'active', description: OWN },
        { address: '10.9.0.99/32', status: 'active', description: OWN, dns_name: 'db.example' },
      ]);
      expect(api.data.ips.slice(4).map((i) => [i.address, i.dns_name])).toEqual([['10.9.0.98/32', undefined], ['10.9.0.99/32', 'db.example']]);
    });

    test('a failure after some writes went through: the next run does the rest and repeats none', async () => {
      const api = (t.api = await startNetboxApi(data('4.4.1'), pki));
      const config = agent();
      await ingest('n1.csv', night1);
      await ingest('n2.csv', night2);
      // status, addresses, services and the POST are served; the PATCH fails.
      api.failAfter(4, 500, { detail: 'Internal Server Error' });
      expect((await t.lab.report(config)).code).toBe(2);
      expect(api.writes().map((w) => w.method)).toEqual(['POST']);
      api.recover();
      expect((await t.lab.report(config)).code).toBe(0);
      expect(api.writes().map((w) => [w.method, w.body])).toEqual([
        ['POST', [{ parent_object_type: 'virtualization.virtualmachine', parent_object_id: 2, name: '5432/tcp', protocol: 'tcp', ports: [5432], ipaddresses: [3], description: OWN }]],
        ['PATCH', [{ id: 2, ports: [80] }]],
      ]);
      expect(services(api)).toEqual([[1, 'ssh', [22], [1], []], [2, 'web', [80], [1], []], [3, '5432/tcp', [5432], [3], []]]);
    });

    test.each([
      ['a 5xx on the write', (a: NetboxApi) => a.failAfter(3, 503, { detail: 'Service Unavailable' }), /answered 503: Service Unavailable.*NetBox failed: check its state and logs/s, {}],
      ['no answer within the timeout', (a: NetboxApi) => a.hang(), /no answer within 1s.*raise the agent's timeout/s, { timeout: '1s' }],
      ['a wrong token', (a: NetboxApi) => void (a.data.token = 'rotated'), /answered 403: Invalid v1 token.*check the token/s, {}],
    ])('%s fails the run with its remedy; once NetBox is back each service is written once', async (_what, breakIt, said, extra) => {
      const api = (t.api = await startNetboxApi(data('4.4.1'), pki));
      const config = agent(extra);
      await ingest('n1.csv', night1);
      breakIt(api);
      const failed = await t.lab.report(config);
      expect(failed.code).toBe(2);
      expect(failed.stdout.replace(/\n/g, ' ')).toMatch(said);
      expect(api.data.services).toHaveLength(2);
      api.recover();
      api.data.token = TOKEN;
      expect((await t.lab.report(config)).stdout).toMatch(/^nb \(netbox\): \d+ changes delivered\n$/);
      expect((await t.lab.report(config)).stdout).toBe('nb (netbox): nothing new\n');
      expect(services(api)).toEqual([[1, 'ssh', [22], [1], []], [2, 'web', [80, 443], [1], []], [3, '80/tcp', [80], [2], []], [4, '5432/tcp', [5432], [3], []]]);
      expect(api.writes()).toHaveLength(1);
    }, 30_000);
  });
});
