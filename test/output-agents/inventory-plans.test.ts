// The inventory kinds' plans as tables (output-agents/netbox-plan.ts, phpipam-plan.ts): from what
// the peer has and the run's changes to exactly the writes, and nothing where nothing differs.
import { ChangeType, typeNames } from '../../common/types';
import { netboxPlan, portStates, type NbIp, type NbService, type NetboxPlanOptions } from '../../output-agents/netbox-plan';
import { located, plan, type PhpAddress, type PlanOptions } from '../../output-agents/phpipam-plan';
import { phpipamAgent } from '../../output-agents/phpipam';
import { netboxAgent } from '../../output-agents/netbox';
import type { ReportChange } from '../../output-agents/types';
import type { SeenHost } from '../../db/host-seen-repo';

let nextId = 1;
function change(ip: string, type: number, port: number | null = null, hostname: string | null = null, scanTime = '2026-01-01T02:00:00Z'): ReportChange {
  return {
    id: nextId++, scanner: 'scan-in', group: null, ip, proto: port === null ? null : 'tcp', port, type, types: typeNames(type), hostname, previous_hostname: null,
    returning: false, detected_at: scanTime, scan_id: 1, details: null, service: null, previous_service: null, cert: null, previous_cert: null, baseline: false, confirms: null, scan_time: scanTime, policy: { expected: null, owner: null, note: null }, text: '',
  };
}
const { new_port: OPEN, port_closed: CLOSED, port_reopened: REOPENED, new_host: NEW, host_down: DOWN, dns_changed: DNS } = ChangeType;

const svc = (id: number, ports: number[], ips: number[], own = true): NbService => ({
  id, name: `s${id}`, protocol: { value: 'tcp' }, ports, ipaddresses: ips.map((i) => ({ id: i })), description: own ? 'portdelta: x' : 'by hand', tags: [],
});
const IPS: NbIp[] = [
  { id: 1, address: '10.0.0.1/24', assigned_object: { device: { id: 7 } } },
  { id: 2, address: '10.0.0.2/24', assigned_object: { device: { id: 7 } } },
  { id: 3, address: '2001:db8::0001/64', assigned_object: { virtual_machine: { id: 9 } } },
  { id: 4, address: '10.0.0.4/24', assigned_object: null },
];
const NB: NetboxPlanOptions = { on_close: 'delete', closed_tag: 'closed', only_own: true, parentObject: true };
const create = (parent: object, port: number, ips: number[]) => ({ ...parent, name: `${port}/tcp`, protocol: 'tcp', ports: [port], ipaddresses: ips, description: 'portdelta: seen open by scanner scan-in' });
const DEV7 = { parent_object_type: 'dcim.device', parent_object_id: 7 };

describe('netbox plan', () => {
  test.each([
    ['a closed port of a one-port, one-address service deletes it', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22], [1])], NB, { deletes: [5] }],
    ['a closed port of a several-port service takes the port out', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22, 80], [1])], NB, { patches: [{ id: 5, ports: [80] }] }],
    ['a closed port of a several-address service takes the address out', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22], [1, 2])], NB, { patches: [{ id: 5, ipaddresses: [2] }] }],
    ['several ports and addresses: left alone', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22, 80], [1, 2])], NB, { leftAlone: 1 }],
    ['a service made by hand is left alone with only_own', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22], [1], false)], NB, { leftAlone: 1 }],
    ['…and closed without it', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22], [1], false)], { ...NB, only_own: false }, { deletes: [5] }],
    ['two closes of one service become one write', [change('10.0.0.1', CLOSED, 22), change('10.0.0.1', CLOSED, 80)], [svc(5, [22, 80, 443], [1])], NB, { patches: [{ id: 5, ports: [443] }] }],
    ['tag: a closed port tags its service', [change('10.0.0.1', CLOSED, 22)], [svc(5, [22], [1])], { ...NB, on_close: 'tag' as const }, { patches: [{ id: 5, tags: [{ name: 'closed' }] }] }],
    ['an open port its service has: nothing', [change('10.0.0.1', OPEN, 22)], [svc(5, [22], [1])], NB, {}],
    ['one port on two addresses of a device: one service', [change('10.0.0.1', OPEN, 22), change('10.0.0.2', REOPENED, 22)], [], NB, { creates: [create(DEV7, 22, [1, 2])] }],
    ['before NetBox 4.3 the parent is device or virtual_machine', [change('2001:db8::1', OPEN, 53)], [], { ...NB, parentObject: false }, { creates: [create({ virtual_machine: 9 }, 53, [3])] }],
    ['opened then closed in one run: the last word', [change('10.0.0.1', OPEN, 22), change('10.0.0.1', CLOSED, 22)], [], NB, {}],
    ['an address without device or VM, and one NetBox lacks: unplaced', [change('10.0.0.4', OPEN, 22), change('10.0.0.99', OPEN, 22)], [], NB, { unplaced: 2 }],
  ])('%s', (_title, changes, services, options, want) => {
    const p = netboxPlan(portStates(changes), IPS, services, options);
    expect({ creates: p.creates, patches: p.patches, deletes: p.deletes, unplaced: p.unplaced.length, leftAlone: p.leftAlone.length })
      .toEqual({ creates: [], patches: [], deletes: [], unplaced: 0, leftAlone: 0, ...want });
  });
});

const SUBNETS = located([
  { id: 1, subnet: '10.0.0.0', mask: '16' },
  { id: 2, subnet: '10.0.1.0', mask: '24', lastDiscovery: '2026-06-01 00:00:00' },
  { id: 3, subnet: '10.0.0.0', mask: '8', isFolder: '1' },
  { id: 4, subnet: '2001:db8::', mask: '64' },
]);
const ADDR: PhpAddress[] = [
  { id: 11, subnetId: 1, ip: '10.0.2.5', hostname: 'a.example', mac: '00:11:22:33:44:55', lastSeen: '2026-06-01 00:00:00', tag: '2' },
  { id: 12, subnetId: 4, ip: '2001:db8::5', hostname: null, mac: null, lastSeen: '1970-01-01 00:00:01', tag: '1' },
];
const PHP: PlanOptions = { create_addresses: true, update_hostname: true, host_gone: { tag: 1 }, up_tag: 2 };
const seen = (ip: string, mac: string | null, when = '2026-01-01T02:00:00Z'): SeenHost => ({ ip, scanner: 'scan-in', hostname: null, mac, lastSeenMs: Date.parse(when) });

describe('phpipam plan', () => {
  test.each([
    ['a new host goes into the most specific subnet, never a folder', [change('10.0.1.9', NEW, null, 'n.example')], [], PHP,
      { creates: [{ subnetId: '2', ip: '10.0.1.9', lastSeen: '2026-01-01 02:00:00', hostname: 'n.example', description: 'found by portdelta (scanner scan-in)', tag: 2 }] }],
    ['no creation without create_addresses, and none outside every subnet', [change('10.0.1.9', NEW), change('192.0.2.1', NEW)], [], { ...PHP, create_addresses: false }, { subnets: [] }],
    ['an older sighting than phpIPAM has leaves the address alone (its subnet had no discovery time yet)', [], [seen('10.0.2.5', '00:11:22:33:44:55')], PHP,
      { subnets: [{ id: '1', body: { lastDiscovery: '2026-01-01 02:00:00' } }] }],
    ['a new MAC is written in phpIPAM\'s form; one that is not a MAC is not', [], [seen('10.0.2.5', '00-11-22-33-44-AA', '2026-07-01T00:00:00Z'), seen('10.0.2.6', 'bogus')], PHP,
      { patches: [{ id: '11', ip: '10.0.2.5', body: { lastSeen: '2026-07-01 00:00:00', mac: '00:11:22:33:44:AA' } }], subnets: [{ id: '1', body: { lastDiscovery: '2026-07-01 00:00:00' } }] }],
    ['a gone host is tagged; a hostname that is not a DNS name is refused', [change('10.0.2.5', DOWN), change('2001:db8::5', DNS, null, 'x;rm')], [], PHP,
      { patches: [{ id: '11', ip: '10.0.2.5', body: { tag: 1 } }], refused: ['x;rm'] }],
    ['down and up again in one run: tagged as used', [change('2001:db8::5', DOWN), change('2001:db8::5', NEW)], [], PHP,
      { patches: [{ id: '12', ip: '2001:db8::5', body: { lastSeen: '2026-01-01 02:00:00', tag: 2 } }], subnets: [{ id: '4', body: { lastDiscovery: '2026-01-01 02:00:00' } }] }],
    // phpIPAM keeps DATETIMEs in its server's local time: 02:00 UTC is 03:00 in Berlin in winter, 04:00 in summer.
    ['timezone: the times in phpIPAM\'s zone, daylight saving time included', [], [seen('2001:db8::5', null), seen('10.0.2.5', null, '2026-07-01T02:00:00Z')], { ...PHP, timezone: 'Europe/Berlin' },
      {
        patches: [{ id: '12', ip: '2001:db8::5', body: { lastSeen: '2026-01-01 03:00:00' } }, { id: '11', ip: '10.0.2.5', body: { lastSeen: '2026-07-01 04:00:00' } }],
        subnets: [{ id: '4', body: { lastDiscovery: '2026-01-01 03:00:00' } }, { id: '1', body: { lastDiscovery: '2026-07-01 04:00:00' } }],
      }],
  ])('%s', (_title, changes, hosts, options, want) => {
    const p = plan(changes, hosts, SUBNETS, ADDR, options);
    expect({ creates: p.creates, patches: p.patches, subnets: p.subnets, refused: p.refusedNames }).toEqual({ creates: [], patches: [], subnets: [], refused: [], ...want });
  });
});

test('phpipam: a host_gone tag that is the up_tag is refused, since a gone host would look up', () => {
  const base = { api_url: 'https://ipam.example.org', client_name: 'portdelta', client_token: 'x' };
  expect(phpipamAgent.parseOptions({ ...base, host_gone: { tag: 2 } }).errors).toEqual([
    'host_gone.tag: the tag of a gone host must differ from up_tag (2), the one an address gets when its host is up',
  ]);
  expect(phpipamAgent.parseOptions({ ...base, host_gone: { tag: 4 }, up_tag: 4 }).errors).toHaveLength(1);
  expect(phpipamAgent.parseOptions({ ...base, host_gone: { tag: 1 } }).errors).toBeUndefined();
});

test('phpipam: timezone is an IANA zone name, UTC unless given', () => {
  const base = { api_url: 'https://ipam.example.org', client_name: 'portdelta', client_token: 'x' };
  expect(phpipamAgent.parseOptions(base).value!.timezone).toBe('UTC');
  expect(phpipamAgent.parseOptions({ ...base, timezone: 'Europe/Berlin' }).value!.timezone).toBe('Europe/Berlin');
  expect(phpipamAgent.parseOptions({ ...base, timezone: 'CEST+2' }).errors).toEqual(['timezone: not a time zone name (e.g. UTC, Europe/Berlin)']);
});

test.each([
  ['a zero-width space pasted with it', 'abc\u200bdef'],
  ['a control character', 'abc\u0001def'],
  ['a space', 'abc def'],
])('inventory kinds: a token with %s is refused when the configuration is read, not at every run by the HTTP client', (_what, token) => {
  const php = phpipamAgent.parseOptions({ api_url: 'https://ipam.example.org', client_name: 'portdelta', client_token: token });
  const nb = netboxAgent.parseOptions({ api_url: 'https://netbox.example.org', token });
  expect([php.errors, nb.errors]).toEqual([
    ['client_token: a token is printable ASCII: no spaces, line breaks or other control characters'],
    ['token: a token is printable ASCII: no spaces, line breaks or other control characters'],
  ]);
});
