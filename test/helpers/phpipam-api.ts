// A stand-in for phpIPAM's REST API with writes, from api/index.php and api/controllers/{Common,
// Addresses,Subnets}.php: /api/{app}/ then the controller; the app code token in the `token` or
// `phpipam-token` header (401 "Unauthorized" without a valid one, 401 "invalid permissions" for a
// write by a read-only app); request keys checked against the table's columns (400 "Invalid
// request key …"), ip/subnetId/subnet/mask unchangeable; answers {code, success, data|message}.
// Rows are kept as phpIPAM returns them: every value a string, ip_addr/state/switch as ip/tag/deviceId.
import { phpipamSubnet } from './phpipam-standin';
import { startApiStandin, type Answer, type ApiStandin, type Recorded } from './api-standin';

type Row = Record<string, string | null>;

export interface PhpipamData {
  app: string;
  token: string;
  /** false: the app may only read (app_permissions 1). */
  write?: boolean;
  subnets: Row[];
  addresses: Row[];
  /** Custom fields of ipaddresses (custom_<name>). */
  customFields?: string[];
}

export interface PhpipamApi extends ApiStandin {
  data: PhpipamData;
}

const ADDRESS_KEYS = ['id', 'subnetId', 'ip', 'is_gateway', 'description', 'hostname', 'mac', 'owner', 'tag', 'deviceId', 'location', 'port', 'note', 'lastSeen', 'excludePing', 'PTRignore', 'PTR', 'firewallAddressObject', 'customer_id'];
const SUBNET_KEYS = Object.keys(phpipamSubnet('0', '0.0.0.0', '0', '0', '0')).filter((k) => k !== 'editDate');
/** The ipTags phpIPAM ships: 1 Offline, 2 Used, 3 Reserved, 4 DHCP. */
const TAGS = ['1', '2', '3', '4'];
const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const LIMITS: Record<string, number> = { description: 64, hostname: 255, mac: 20 };

const ok = (code: number, rest: Record<string, unknown>): Answer => ({ status: code, body: { code, success: true, ...rest, time: 0.002 } });
const no = (code: number, message: string): Answer => ({ status: code, body: { code, success: false, message, time: 0.002 } });

/** phpIPAM's four-octet decimal check is not ours to copy; a v4 or v6 text address will do. */
const ipv4ToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function inSubnet(ip: string, s: Row): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(s.subnet ?? '')) return false;
  const size = 2 ** (32 - Number(s.mask));
  return Math.floor(ipv4ToInt(ip) / size) === Math.floor(ipv4ToInt(s.subnet!) / size);
}

/** The values of a body after phpIPAM's key checks; an Answer when it refuses them. */
function checked(body: unknown, valid: string[]): Row | Answer {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return no(400, 'No data provided');
  const values: Row = {};
  for (const [k, v] of Object.entries(body)) {
    if (!valid.includes(k)) return no(400, `Invalid request key ${k}`);
    if (v !== null && typeof v === 'object') return no(500, `Failed to update: ${k} is not a value`);
    const text = v === null ? null : String(v);
    // MySQL in strict mode: a value too long for its column, or a malformed DATETIME, fails the UPDATE.
    if (text !== null && LIMITS[k] !== undefined && text.length > LIMITS[k]) return no(500, 'Failed to update address');
    if (text !== null && ['lastSeen', 'lastScan', 'lastDiscovery'].includes(k) && !DATETIME.test(text)) return no(500, 'Failed to update');
    values[k] = text;
  }
  return values;
}

const isAnswer = (v: Row | Answer): v is Answer => 'status' in v && typeof (v as Answer).status === 'number';

function addressWrite(d: PhpipamData, r: Recorded, id: string | undefined): Answer {
  const valid = [...ADDRESS_KEYS, ...(d.customFields ?? [])];
  const v = checked(r.body, valid);
  if (isAnswer(v)) return v;
  if (v.mac && !/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(v.mac)) return no(400, 'Invalid MAC address');
  if (v.mac) v.mac = v.mac.toLowerCase().replace(/-/g, ':');
  if (v.tag !== undefined && !TAGS.includes(String(v.tag))) return no(400, 'Tag does not exist');
  if (r.method === 'PATCH') {
    const row = d.addresses.find((a) => a.id === id);
    if (!row) return no(404, 'Invalid Id');
    if ('ip' in v) return no(400, 'IP address cannot be changed');
    if ('subnetId' in v) return no(400, 'Subnet cannot be changed');
    if (!Object.keys(v).length) return no(400, 'No data provided');
    Object.assign(row, v);
    return ok(200, { message: 'Address updated' });
  }
  if (id !== undefined) return no(400, 'Invalid Id');
  const subnet = d.subnets.find((s) => s.id === v.subnetId);
  if (!/^\d+$/.test(v.subnetId ?? '')) return no(400, 'SubnetId must be numeric');
  if (!subnet) return no(404, 'Invalid subnet Id');
  if (!v.ip || !inSubnet(v.ip, subnet)) return no(400, 'IP address not in selected subnet');
  if (d.addresses.some((a) => a.ip === v.ip && a.subnetId === v.subnetId)) return no(409, 'IP address already exists');
  const id2 = String(Math.max(0, ...d.addresses.map((a) => Number(a.id))) + 1);
  d.addresses.push({ ...phpipamAddress(id2, v.subnetId!, v.ip, null), ...v, id: id2, tag: v.tag ?? '2' });
  return ok(201, { message: 'Address created', id: id2, location: `/api/${d.app}/addresses/${id2}/` });
}

function subnetRoute(d: PhpipamData, r: Recorded, parts: string[]): Answer {
  const subnet = parts[1] === undefined ? null : d.subnets.find((s) => s.id === parts[1]);
  if (r.method === 'GET' && parts.length === 1) return d.subnets.length ? ok(200, { data: d.subnets }) : no(404, 'No subnets found');
  if (parts[1] !== undefined && !subnet) return no(404, 'Invalid subnet Id');
  if (r.method === 'GET' && parts[2] === 'addresses' && parts.length === 3) {
    const rows = d.addresses.filter((a) => a.subnetId === parts[1]);
    return rows.length ? ok(200, { data: rows }) : no(404, 'No addresses found');
  }
  if (r.method === 'PATCH' && parts.length === 2) {
    const v = checked(r.body, SUBNET_KEYS);
    if (isAnswer(v)) return v;
    if ('subnet' in v) return no(400, 'Subnet cannot be changed');
    if ('mask' in v) return no(400, 'To change mask use resize method');
    Object.assign(subnet!, v);
    return ok(200, { message: 'Subnet updated' });
  }
  return no(400, 'Invalid request');
}

function route(d: PhpipamData, r: Recorded): Answer {
  const prefix = `/api/${d.app}/`;
  if (!r.path.startsWith(prefix)) return no(400, 'Invalid application id');
  const token = r.headers['phpipam-token'] ?? r.headers.token;
  if (token !== d.token) return no(401, 'Unauthorized');
  const writing = r.method !== 'GET';
  if (writing && d.write === false) return no(401, 'invalid permissions');
  if (writing && r.method !== 'DELETE' && !String(r.headers['content-type'] ?? '').startsWith('application/json')) return no(415, 'Invalid content type');
  const parts = r.path.slice(prefix.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'subnets') return subnetRoute(d, r, parts);
  if (parts[0] === 'addresses' && ['POST', 'PATCH'].includes(r.method) && parts.length <= 2) return addressWrite(d, r, parts[1]);
  if (parts[0] === 'addresses' && r.method === 'GET' && parts.length === 2) {
    const row = d.addresses.find((a) => a.id === parts[1]);
    return row ? ok(200, { data: row }) : no(404, 'Invalid Id');
  }
  return no(400, 'Invalid request');
}

/** An address row as phpIPAM's API returns it. */
export function phpipamAddress(id: string, subnetId: string, ip: string, hostname: string | null, extra: Row = {}): Row {
  return {
    id, subnetId, ip, is_gateway: '0', description: null, hostname, mac: null, owner: null, tag: '2', deviceId: null, location: null, port: null,
    note: null, lastSeen: '1970-01-01 00:00:01', excludePing: '0', PTRignore: '0', PTR: '0', firewallAddressObject: null, editDate: null, customer_id: null, ...extra,
  };
}

export async function startPhpipamApi(data: PhpipamData, pki?: { cert: string; key: string }): Promise<PhpipamApi> {
  const s = await startApiStandin((r) => route(data, r), pki);
  return Object.assign(s, { data });
}

export { phpipamSubnet };
