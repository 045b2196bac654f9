// Kind `netbox`: keeps NetBox's ipam.services in step with the open ports portdelta sees on the IP
// addresses NetBox knows. Per run: NetBox's version (the service's parent is parent_object_type/_id
// from 4.3 on, device/virtual_machine before), the run's addresses and their services in a few
// filtered reads, then the writes as NetBox's bulk operations (one POST, one PATCH, one DELETE per
// run at most). Opt-in: IP addresses for open ports on addresses NetBox does not know. Every write
// follows from what NetBox has, so a run that failed midway is simply repeated by the next.
import { z } from 'zod';
import { DeliveryError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { ApiClient } from './api-client';
import { apiUrl, connectionKeys, isDnsName, resolveCa, secret } from './inventory-options';
import { parseWith } from './kind-options';
import { hostOf, netboxPlan, OWN, portStates, type NbIp, type NbService, type Port } from './netbox-plan';
import type { ChangeBatch, DeliveryDeps, OutputAgent } from './types';

const schema = z
  .object({
    api_url: apiUrl,
    token: secret,
    ...connectionKeys,
    on_close: z.enum(['delete', 'tag']).default('delete'),
    closed_tag: z.string().min(1).max(100).default('portdelta-closed'),
    only_own: z.boolean().default(true),
    create_ip_addresses: z.boolean().default(false),
  })
  .strict();
export type NetboxOptions = z.output<typeof schema> & { caPath?: string };

/** Addresses per filtered read: NetBox takes repeated query parameters; the URL stays short. */
const PER_QUERY = 50;

function client(o: NetboxOptions): ApiClient {
  // NetBox 4.5's v2 tokens (nbt_…) are sent as Bearer, the older ones as Token.
  const scheme = o.token.startsWith('nbt_') ? 'Bearer' : 'Token';
  return new ApiClient({
    base: o.api_url.replace(/\/+$/, '').replace(/\/api$/, '') + '/api',
    auth: { Authorization: `${scheme} ${o.token}` },
    caFile: o.caPath,
    timeoutMs: o.timeout,
    rate: o.rate,
    peer: 'NetBox',
    authRemedy: 'check the token and that it may change ipam.service (and ipam.ipaddress with create_ip_addresses) (docs/netbox.md)',
  });
}

/** NetBox 4.3 and later name a service's parent as parent_object_type/_id. */
async function parentObject(api: ApiClient): Promise<boolean> {
  const status = (await api.ok('GET', '/status/')) as Record<string, unknown> | null;
  const m = /^(\d+)\.(\d+)/.exec(String(status?.['netbox-version'] ?? ''));
  if (!m) throw new DeliveryError('NetBox GET /api/status/ gave no netbox-version', { remedy: 'check api_url: NetBox\'s address (https://netbox.example.org)' });
  return Number(m[1]) > 4 || (Number(m[1]) === 4 && Number(m[2]) >= 3);
}

/** Every row of a filtered list, in pages of up to 1000 (NetBox's next links followed by offset). */
async function list<T>(api: ApiClient, path: string, key: string, values: Array<string | number>): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < values.length; i += PER_QUERY) {
    const query = values.slice(i, i + PER_QUERY).map((v) => `${key}=${encodeURIComponent(String(v))}`).join('&');
    for (let offset = 0; ; ) {
      const page = (await api.ok('GET', `${path}?${query}&limit=1000&offset=${offset}`)) as { results?: T[]; next?: string | null } | null;
      rows.push(...(page?.results ?? []));
      offset += page?.results?.length ?? 0;
      if (!page?.next || !page.results?.length) break;
    }
  }
  return rows;
}

async function createAddresses(api: ApiClient, unknown: Port[], deps: DeliveryDeps, names: Map<string, string | null>): Promise<NbIp[]> {
  const hosts = [...new Map(unknown.map((p) => [p.ip, p])).values()];
  if (!hosts.length) return [];
  const body = hosts.map((p) => ({
    address: `${p.ip}/${p.ip.includes(':') ? 128 : 32}`,
    status: 'active',
    description: `${OWN} seen open by scanner ${p.scanner}`.slice(0, 200),
    ...(isDnsName(names.get(p.ip)) ? { dns_name: names.get(p.ip) } : {}),
  }));
  const made = (await api.ok('POST', '/ipam/ip-addresses/', body)) as NbIp[];
  deps.log(`NetBox: ${made.length} IP addresses created; their ports get services once they are assigned to a device or VM`);
  return made;
}

async function write(api: ApiClient, plan: ReturnType<typeof netboxPlan>): Promise<void> {
  if (plan.creates.length) await api.ok('POST', '/ipam/services/', plan.creates);
  if (plan.patches.length) await api.ok('PATCH', '/ipam/services/', plan.patches);
  if (plan.deletes.length) await api.ok('DELETE', '/ipam/services/', plan.deletes.map((id) => ({ id })));
}

async function deliver(batch: ChangeBatch, o: NetboxOptions, deps: DeliveryDeps): Promise<void> {
  const ports = portStates(batch.changes);
  if (!ports.length) return;
  const api = client(o);
  const parent = await parentObject(api);
  const hosts = [...new Set(ports.map((p) => p.ip))];
  const ips = await list<NbIp>(api, '/ipam/ip-addresses/', 'address', hosts);
  if (o.create_ip_addresses) {
    const known = new Set(ips.map((i) => hostOf(i.address)));
    const names = new Map(batch.changes.map((c) => [c.ip ?? '', c.hostname]));
    ips.push(...(await createAddresses(api, ports.filter((p) => p.open && !known.has(p.ip)), deps, names)));
  }
  const services = await list<NbService>(api, '/ipam/services/', 'ip_address_id', [...new Set(ips.map((i) => i.id))]);
  const plan = netboxPlan(ports, ips, services, { ...o, parentObject: parent });
  await write(api, plan);
  for (const l of plan.leftAlone) deps.log(`NetBox: service ${safeText(l.service)} left as it is for ${l.port.ip} ${l.port.port}/${l.port.proto} (not made by portdelta, or shared)`);
  deps.log(`NetBox: ${plan.creates.length} services created, ${plan.patches.length} changed, ${plan.deletes.length} deleted; ${plan.unplaced.length} open ports on addresses without a device or VM in NetBox (${api.requests} requests)`);
}

export const netboxAgent: OutputAgent<NetboxOptions> = {
  kind: 'netbox',
  baselineChanges: true,
  parseOptions(raw, ctx) {
    const r = parseWith(schema, raw, ctx);
    return r.errors ? r : { value: { ...r.value, caPath: resolveCa(r.value.ca_file, ctx) } };
  },
  deliver,
};
