// Conformance harnesses for the kinds that keep an inventory in step (phpipam, netbox): a stand-in
// of the peer's API on 127.0.0.1 with a few subnets, addresses and devices of the conformance store's
// networks (127.0.20.0/29 from test/fixtures/hostile, 127.0.21.1-3 with header injections). They
// check the peer's state rather than messages: each address once, each open port's service once,
// and no name from the network that is not a plain DNS name written anywhere.
import type { ChangeRow } from '../../common/types';
import type { OutputAgentHarness } from './describe-output-agent';
import { phpipamAddress, phpipamSubnet, startPhpipamApi, type PhpipamData } from './phpipam-api';
import { startNetboxApi, type NetboxData } from './netbox-api';

const DNS_NAME = /^[A-Za-z0-9_.-]*$/;
const count = <T>(list: T[], key: (t: T) => string) => list.reduce((m, t) => m.set(key(t), (m.get(key(t)) ?? 0) + 1), new Map<string, number>());
const hostsOf = (changes: ChangeRow[]) => [...new Set(changes.map((c) => c.ip!).filter(Boolean))].sort();

/** The newest sighting of each address in the store's scans (the fixtures' seen_at / started). */
const LAST_SEEN: Record<string, string> = { '127.0.20': '2026-11-22 09:35:55', '127.0.21': '2026-11-23 09:00:00' };
const net24 = (ip: string) => ip.split('.').slice(0, 3).join('.');

function phpipamData(): PhpipamData {
  return {
    app: 'portdelta',
    token: 'phpipam-app-code-0123456789',
    subnets: [phpipamSubnet('7', '127.0.20.0', '24', '1', '1'), phpipamSubnet('8', '127.0.21.0', '28', '1', '1'), { ...phpipamSubnet('9', '127.0.0.0', '8', '1', '0'), isFolder: '1' }],
    addresses: [phpipamAddress('1', '7', '127.0.20.2', 'keep.example', { description: 'mail relay' }), phpipamAddress('2', '7', '127.0.20.5', null)],
  };
}

export const phpipam: OutputAgentHarness = {
  async peer() {
    const api = await startPhpipamApi(phpipamData());
    return {
      options: { api_url: api.url, client_name: 'portdelta', client_token: api.data.token, create_addresses: true, update_hostname: true, rate: 1000 },
      fail: () => api.failWith(503, { code: 503, success: false, message: 'Database connection failed' }),
      recover: () => api.recover(),
      writes: () => api.writes().length,
      expectSynced(changes) {
        const hosts = hostsOf(changes);
        const rows = api.data.addresses;
        // Each address once, in its subnet; the two it had keep their ids.
        expect([...count(rows, (r) => r.ip!).entries()].filter(([, n]) => n !== 1)).toEqual([]);
        expect(rows.map((r) => r.ip).sort()).toEqual(hosts);
        expect(rows.filter((r) => ['1', '2'].includes(r.id!)).map((r) => r.ip)).toEqual(['127.0.20.2', '127.0.20.5']);
        for (const r of rows) {
          expect({ ip: r.ip, lastSeen: r.lastSeen, subnet: r.subnetId }).toEqual({ ip: r.ip, lastSeen: LAST_SEEN[net24(r.ip!)], subnet: net24(r.ip!) === '127.0.20' ? '7' : '8' });
        }
        for (const r of rows.filter((x) => !['1', '2'].includes(x.id!))) expect(r.description).toMatch(/^found by portdelta \(scanner hx(-inject)?\)$/);
        expect(api.data.subnets.map((s) => [s.id, s.lastDiscovery])).toEqual([['7', LAST_SEEN['127.0.20']], ['8', LAST_SEEN['127.0.21']], ['9', null]]);
        // Every write went to the app's path with its token, as JSON.
        for (const w of api.writes()) {
          expect(w.path).toMatch(/^\/api\/portdelta\/(addresses|subnets)\/(\d+\/)?$/);
          expect([w.headers.token, w.headers['content-type']]).toEqual([api.data.token, 'application/json']);
        }
      },
      expectHostile() {
        // The fixtures' names are none of them plain DNS names: none is written; the one phpIPAM had stays.
        for (const r of api.data.addresses) expect(r.hostname === null || DNS_NAME.test(r.hostname)).toBe(true);
        expect(api.data.addresses.find((r) => r.ip === '127.0.20.2')!.hostname).toBe('keep.example');
      },
      close: () => api.close(),
    };
  },
  remedy: /phpIPAM failed: check its state and logs/,
  valid: { api_url: 'https://ipam.example.org', client_name: 'portdelta', client_token: 'x', ca_file: 'ca.pem', create_addresses: true, host_gone: { tag: 1 } },
  invalid: {
    raw: { api_url: 'http://ipam.example.org/', client_name: 'port delta', client_token: '', host_gone: { colour: 1 } },
    errors: [
      'api_url: the token would cross the network in clear to ipam.example.org: use https:// (http:// only to 127.0.0.1, ::1, localhost)',
      'client_name: the API app id: letters, digits, _ and -',
      'client_token: give the token (e.g. "${TOKEN_VARIABLE}")',
      'host_gone: give { tag: <ipTags id> } or { field: custom_<name>, value: <text> }',
    ],
  },
};

function netboxData(): NetboxData {
  return {
    version: '4.4.1',
    token: '0123456789abcdef0123456789abcdef01234567',
    ips: [
      ...[0, 1, 2, 3].map((n) => ({ id: 10 + n, address: `127.0.20.${n}/24`, device: 1 })),
      { id: 14, address: '127.0.20.4/24', virtual_machine: 2 },
      { id: 15, address: '127.0.20.5/24', device: null },
    ],
    services: [],
    tags: ['portdelta-closed'],
  };
}

export const netbox: OutputAgentHarness = {
  async peer() {
    const api = await startNetboxApi(netboxData());
    return {
      options: { api_url: `${api.url}/api/`, token: api.data.token, create_ip_addresses: true, rate: 1000 },
      fail: () => api.failWith(502, { detail: 'Bad gateway' }),
      recover: () => api.recover(),
      writes: () => api.writes().length,
      expectSynced(changes) {
        const d = api.data;
        // Every address with an open port once in NetBox: the six it knew and one made per unknown host.
        expect([...count(d.ips, (i) => i.address.split('/')[0]).entries()].filter(([, n]) => n !== 1)).toEqual([]);
        expect(d.ips.map((i) => i.address.split('/')[0]).sort()).toEqual(hostsOf(changes.filter((c) => c.port !== null)));
        for (const i of d.ips.filter((x) => x.id > 15)) expect([i.address.endsWith('/32'), i.description]).toEqual([true, expect.stringMatching(/^portdelta: seen open by scanner hx/)]);
        // One service per parent for the port, holding each of its addresses once.
        const svc = d.services.map((s) => [s.parent.type, s.parent.id, s.name, s.protocol, s.ports, [...s.ipaddresses].sort()]);
        expect(svc).toEqual([['dcim.device', 1, '8080/tcp', 'tcp', [8080], [10, 11, 12, 13]], ['virtualization.virtualmachine', 2, '8080/tcp', 'tcp', [8080], [14]]]);
        for (const w of api.writes()) expect([w.headers.authorization, w.headers['content-type']]).toEqual([`Token ${d.token}`, 'application/json']);
      },
      expectHostile() {
        for (const i of api.data.ips) expect(DNS_NAME.test(i.dns_name ?? '')).toBe(true);
        for (const s of api.data.services) expect(s.description).toMatch(/^portdelta: seen open by scanner hx$/);
      },
      close: () => api.close(),
    };
  },
  remedy: /NetBox failed: check its state and logs/,
  valid: { api_url: 'https://netbox.example.org/api/', token: 'x', on_close: 'tag', closed_tag: 'gone', create_ip_addresses: true },
  invalid: {
    raw: { api_url: 'netbox', token: 'a\nb', on_close: 'shred', colour: 'red' },
    errors: [
      'api_url: give an https:// URL',
      'token: a token is printable ASCII: no spaces, line breaks or other control characters',
      "on_close: Invalid enum value. Expected 'delete' | 'tag', received 'shred'",
      "Unrecognized key(s) in object: 'colour'",
    ],
  },
};
