// A stand-in for NetBox's REST API, from netbox/ipam/api (serializers_/services.py, ip.py), the
// filter sets (ipam/filtersets.py: ip-addresses?address=, services?ip_address_id=, repeatable) and
// NetBox's bulk views (a list body to POST, PATCH with ids, DELETE with [{id}]): `Authorization:
// Token …` (403 {"detail": …} without a valid one), paginated lists {count, next, previous,
// results}, ChoiceFields as {value, label}, nested tags looked up by name (400 when unknown). From
// 4.3 on a service's parent is parent_object_type/_id; before, device or virtual_machine.
import { startApiStandin, type Answer, type ApiStandin, type Recorded } from './api-standin';

interface NbIpRow {
  id: number;
  address: string;
  /** The device (or VM) its interface belongs to; null: unassigned. */
  device?: number | null;
  virtual_machine?: number | null;
  dns_name?: string;
  description?: string;
  status?: string;
}

interface NbServiceRow {
  id: number;
  name: string;
  protocol: string;
  ports: number[];
  ipaddresses: number[];
  parent: { type: 'dcim.device' | 'virtualization.virtualmachine'; id: number };
  description: string;
  tags: string[];
}

export interface NetboxData {
  version: string;
  token: string;
  ips: NbIpRow[];
  services: NbServiceRow[];
  tags: string[];
}

export interface NetboxApi extends ApiStandin {
  data: NetboxData;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];
const bad = (errors: Record<string, unknown> | Array<Record<string, unknown>>): Answer => ({ status: 400, body: errors });
const host = (address: string) => address.split('/')[0];

function ipJson(ip: NbIpRow) {
  const parent = ip.device ? { device: { id: ip.device, name: `device-${ip.device}` } } : ip.virtual_machine ? { virtual_machine: { id: ip.virtual_machine, name: `vm-${ip.virtual_machine}` } } : null;
  return {
    id: ip.id, url: `/api/ipam/ip-addresses/${ip.id}/`, display: ip.address, family: { value: 4, label: 'IPv4' }, address: ip.address,
    status: { value: ip.status ?? 'active', label: 'Active' }, assigned_object_type: parent ? (ip.device ? 'dcim.interface' : 'virtualization.vminterface') : null,
    assigned_object_id: parent ? ip.id * 10 : null, assigned_object: parent ? { id: ip.id * 10, name: 'eth0', ...parent } : null,
    dns_name: ip.dns_name ?? '', description: ip.description ?? '', tags: [],
  };
}

function serviceJson(d: NetboxData, s: NbServiceRow) {
  const modern = newParent(d);
  const parent = modern
    ? { parent_object_type: s.parent.type, parent_object_id: s.parent.id, parent: { id: s.parent.id } }
    : s.parent.type === 'dcim.device' ? { device: { id: s.parent.id }, virtual_machine: null } : { device: null, virtual_machine: { id: s.parent.id } };
  return {
    id: s.id, url: `/api/ipam/services/${s.id}/`, display: `${s.name} (${s.protocol.toUpperCase()}/${s.ports.join(', ')})`, ...parent, name: s.name,
    protocol: { value: s.protocol, label: s.protocol.toUpperCase() }, ports: s.ports,
    ipaddresses: s.ipaddresses.map((id) => ({ id, address: d.ips.find((i) => i.id === id)?.address })),
    description: s.description, tags: s.tags.map((name, i) => ({ id: i + 1, name, slug: name })),
  };
}

const newParent = (d: NetboxData) => {
  const [major, minor] = d.version.split('.').map(Number);
  return major > 4 || (major === 4 && minor >= 3);
};

function page(r: Recorded, rows: unknown[]): Answer {
  const limit = Number(r.query.get('limit') ?? 50);
  const offset = Number(r.query.get('offset') ?? 0);
  const results = rows.slice(offset, offset + limit);
  const next = offset + limit < rows.length ? `http://127.0.0.1${r.path}?limit=${limit}&offset=${offset + limit}` : null;
  return { status: 200, body: { count: rows.length, next, previous: null, results } };
}

/** A service's writable fields checked as the serializer does; the errors, or null. */
function serviceErrors(d: NetboxData, v: Record<string, unknown>, partial: boolean): Record<string, string[]> | null {
  const e: Record<string, string[]> = {};
  if (!partial || 'name' in v) if (typeof v.name !== 'string' || !v.name || v.name.length > 100) e.name = ['This field is required.'];
  if ('protocol' in v && !PROTOCOLS.includes(String(v.protocol))) e.protocol = [`"${String(v.protocol)}" is not a valid choice.`];
  if (!partial || 'ports' in v) {
    const ok = Array.isArray(v.ports) && v.ports.length > 0 && v.ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535);
    if (!ok) e.ports = ['Enter a list of ports between 1 and 65535.'];
  }
  if ('ipaddresses' in v && (!Array.isArray(v.ipaddresses) || v.ipaddresses.some((id) => !d.ips.some((i) => i.id === id)))) e.ipaddresses = ['Invalid pk - object does not exist.'];
  if ('tags' in v && (!Array.isArray(v.tags) || v.tags.some((t: { name?: string }) => !d.tags.includes(String(t?.name))))) e.tags = ['Related object not found using the provided attributes.'];
  if (!partial) {
    if (newParent(d) && !['dcim.device', 'virtualization.virtualmachine'].includes(String(v.parent_object_type))) e.parent_object_type = ['This field is required.'];
    if (!newParent(d) && !v.device === !v.virtual_machine) e.__all__ = ['A service must be associated with either a device or a virtual machine.'];
  }
  return Object.keys(e).length ? e : null;
}

function apply(s: NbServiceRow, v: Record<string, unknown>): void {
  if ('name' in v) s.name = String(v.name);
  if ('protocol' in v) s.protocol = String(v.protocol);
  if ('ports' in v) s.ports = v.ports as number[];
  if ('ipaddresses' in v) s.ipaddresses = v.ipaddresses as number[];
  if ('description' in v) s.description = String(v.description);
  if ('tags' in v) s.tags = (v.tags as Array<{ name: string }>).map((t) => t.name);
}

function createService(d: NetboxData, v: Record<string, unknown>): NbServiceRow {
  const parent = newParent(d)
    ? { type: v.parent_object_type as NbServiceRow['parent']['type'], id: Number(v.parent_object_id) }
    : v.device ? { type: 'dcim.device' as const, id: Number(v.device) } : { type: 'virtualization.virtualmachine' as const, id: Number(v.virtual_machine) };
  const s: NbServiceRow = { id: Math.max(0, ...d.services.map((x) => x.id)) + 1, name: '', protocol: 'tcp', ports: [], ipaddresses: [], parent, description: '', tags: [] };
  apply(s, v);
  d.services.push(s);
  return s;
}

function services(d: NetboxData, r: Recorded): Answer {
  if (r.method === 'GET') {
    const ids = r.query.getAll('ip_address_id').map(Number);
    return page(r, d.services.filter((s) => !ids.length || s.ipaddresses.some((i) => ids.includes(i))).map((s) => serviceJson(d, s)));
  }
  const items = (Array.isArray(r.body) ? r.body : [r.body]) as Array<Record<string, unknown>>;
  if (r.method === 'DELETE') {
    if (items.some((i) => !d.services.some((s) => s.id === i?.id))) return { status: 404, body: { detail: 'No Service matches the given query.' } };
    d.services = d.services.filter((s) => !items.some((i) => i.id === s.id));
    return { status: 204 };
  }
  const errors = items.map((v) => serviceErrors(d, v ?? {}, r.method === 'PATCH') ?? {});
  if (errors.some((e) => Object.keys(e).length)) return bad(Array.isArray(r.body) ? errors : errors[0]);
  if (r.method === 'POST') {
    const made = items.map((v) => serviceJson(d, createService(d, v)));
    return { status: 201, body: Array.isArray(r.body) ? made : made[0] };
  }
  if (items.some((i) => !d.services.some((s) => s.id === i.id))) return { status: 400, body: { detail: 'Bulk update: an object does not exist.' } };
  const done = items.map((v) => {
    const s = d.services.find((x) => x.id === v.id)!;
    apply(s, v);
    return serviceJson(d, s);
  });
  return { status: 200, body: done };
}

function ipAddresses(d: NetboxData, r: Recorded): Answer {
  if (r.method === 'GET') {
    const wanted = r.query.getAll('address').map(host);
    return page(r, d.ips.filter((i) => !wanted.length || wanted.includes(host(i.address))).map(ipJson));
  }
  if (r.method !== 'POST') return { status: 405, body: { detail: `Method "${r.method}" not allowed.` } };
  const items = (Array.isArray(r.body) ? r.body : [r.body]) as Array<Record<string, unknown>>;
  if (items.some((v) => typeof v?.address !== 'string' || !/^[\d.]+\/\d+$|^[0-9a-f:]+\/\d+$/i.test(v.address))) return bad({ address: ['Enter a valid IPv4 or IPv6 address with optional mask.'] });
  if (items.some((v) => v.dns_name !== undefined && !/^[*A-Za-z0-9_.-]*$/.test(String(v.dns_name)))) return bad({ dns_name: ['Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names'] });
  const made = items.map((v) => {
    const row: NbIpRow = { id: Math.max(0, ...d.ips.map((i) => i.id)) + 1, address: String(v.address), dns_name: v.dns_name as string | undefined, description: v.description as string | undefined, status: String(v.status ?? 'active') };
    d.ips.push(row);
    return ipJson(row);
  });
  return { status: 201, body: Array.isArray(r.body) ? made : made[0] };
}

function route(d: NetboxData, r: Recorded): Answer {
  const auth = String(r.headers.authorization ?? '');
  if (!auth) return { status: 403, body: { detail: 'Authentication credentials were not provided.' } };
  if (auth !== `Token ${d.token}`) return { status: 403, body: { detail: 'Invalid v1 token' } };
  if (r.method !== 'GET' && r.method !== 'DELETE' && !String(r.headers['content-type'] ?? '').startsWith('application/json')) {
    return { status: 415, body: { detail: 'Unsupported media type in request.' } };
  }
  if (r.path === '/api/status/' && r.method === 'GET') return { status: 200, body: { 'django-version': '5.2.5', 'netbox-version': d.version, plugins: {}, 'rq-workers-running': 1 } };
  if (r.path === '/api/ipam/ip-addresses/') return ipAddresses(d, r);
  if (r.path === '/api/ipam/services/') return services(d, r);
  return { status: 404, body: { detail: 'Not found.' } };
}

export async function startNetboxApi(data: NetboxData, pki?: { cert: string; key: string }): Promise<NetboxApi> {
  const s = await startApiStandin((r) => route(data, r), pki);
  return Object.assign(s, { data });
}
