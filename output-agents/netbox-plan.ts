// What the netbox kind writes, as plain data from (the IP addresses and services NetBox has, the
// run's port changes): each (ip, proto, port)'s last word decides; every edit is applied to a copy
// of the services first, so several changes to one service become one PATCH (or one DELETE).
import { canonicalIp } from '../common/ip';
import { ChangeType, type Proto } from '../common/types';
import type { ReportChange } from './types';

export interface NbIp {
  id: number;
  address: string;
  assigned_object?: { device?: { id: number } | null; virtual_machine?: { id: number } | null } | null;
}
export interface NbService {
  id: number;
  name: string;
  protocol: { value: string } | string | null;
  ports: number[];
  ipaddresses: Array<{ id: number }>;
  description?: string;
  tags?: Array<{ name: string }>;
}

export interface NetboxPlanOptions {
  on_close: 'delete' | 'tag';
  closed_tag: string;
  /** Close only services portdelta created (their description starts with OWN). */
  only_own: boolean;
  /** NetBox 4.3 and later name a service's parent with parent_object_type/_id. */
  parentObject: boolean;
}

export const OWN = 'portdelta:';
const OPENS = ChangeType.new_port | ChangeType.port_reopened;

export interface Port {
  ip: string;
  proto: Proto;
  port: number;
  open: boolean;
  scanner: string;
}

/** The last word on each (ip, proto, port) of the run. */
export function portStates(changes: ReportChange[]): Port[] {
  const last = new Map<string, Port>();
  for (const c of [...changes].sort((a, b) => a.id - b.id)) {
    if (!c.ip || !c.proto || c.port === null || !(c.type & (OPENS | ChangeType.port_closed))) continue;
    const ip = canonicalIp(c.ip) ?? c.ip;
    last.set(`${ip} ${c.proto} ${c.port}`, { ip, proto: c.proto, port: c.port, open: (c.type & OPENS) !== 0, scanner: c.scanner });
  }
  return [...last.values()];
}

export const hostOf = (address: string) => canonicalIp(address.split('/')[0]) ?? address;
const protoOf = (s: NbService) => (typeof s.protocol === 'string' ? s.protocol : s.protocol?.value ?? '');

interface Working {
  orig: NbService;
  ports: Set<number>;
  ips: Set<number>;
  tags: Set<string>;
}

export interface NetboxPlan {
  creates: Array<Record<string, unknown>>;
  patches: Array<Record<string, unknown> & { id: number }>;
  deletes: number[];
  /** Open ports on addresses NetBox does not know, or knows without a device or VM. */
  unplaced: Port[];
  /** Closed ports whose service portdelta leaves alone (not its own, or shared in a way it cannot split). */
  leftAlone: Array<{ port: Port; service: string }>;
}

function parentOf(ip: NbIp, o: NetboxPlanOptions): Record<string, unknown> | null {
  const a = ip.assigned_object;
  const [type, id] = a?.device ? ['dcim.device', a.device.id] : a?.virtual_machine ? ['virtualization.virtualmachine', a.virtual_machine.id] : [null, null];
  if (!type) return null;
  if (o.parentObject) return { parent_object_type: type, parent_object_id: id };
  return type === 'dcim.device' ? { device: id } : { virtual_machine: id };
}

function close(w: Working, ipId: number, p: Port, o: NetboxPlanOptions, out: NetboxPlan): void {
  if (o.only_own && !(w.orig.description ?? '').startsWith(OWN)) return void out.leftAlone.push({ port: p, service: w.orig.name });
  if (o.on_close === 'tag') return void w.tags.add(o.closed_tag);
  if (w.ips.size === 1) w.ports.delete(p.port);
  else if (w.ports.size === 1) w.ips.delete(ipId);
  else out.leftAlone.push({ port: p, service: w.orig.name });
}

function diff(w: Working, out: NetboxPlan): void {
  if (!w.ports.size || !w.ips.size) return void out.deletes.push(w.orig.id);
  const patch: Record<string, unknown> & { id: number } = { id: w.orig.id };
  if (w.ports.size !== w.orig.ports.length) patch.ports = [...w.ports].sort((a, b) => a - b);
  if (w.ips.size !== w.orig.ipaddresses.length) patch.ipaddresses = [...w.ips];
  if (w.tags.size !== (w.orig.tags ?? []).length || [...w.tags].some((t) => !(w.orig.tags ?? []).some((x) => x.name === t))) patch.tags = [...w.tags].map((name) => ({ name }));
  if (Object.keys(patch).length > 1) out.patches.push(patch);
}

export function netboxPlan(ports: Port[], ips: NbIp[], services: NbService[], o: NetboxPlanOptions): NetboxPlan {
  const out: NetboxPlan = { creates: [], patches: [], deletes: [], unplaced: [], leftAlone: [] };
  const ipByHost = new Map<string, NbIp>();
  for (const ip of ips) if (!ipByHost.has(hostOf(ip.address)) || ip.assigned_object) ipByHost.set(hostOf(ip.address), ip);
  const work = services.map((s): Working => ({ orig: s, ports: new Set(s.ports), ips: new Set(s.ipaddresses.map((i) => i.id)), tags: new Set((s.tags ?? []).map((t) => t.name)) }));
  const creates = new Map<string, Record<string, unknown> & { ipaddresses: number[] }>();
  for (const p of ports) {
    const ip = ipByHost.get(p.ip);
    if (!ip) {
      if (p.open) out.unplaced.push(p);
      continue;
    }
    const hits = work.filter((w) => protoOf(w.orig) === p.proto && w.ports.has(p.port) && w.ips.has(ip.id));
    if (!p.open) for (const w of hits) close(w, ip.id, p, o, out);
    else if (hits.length) for (const w of hits) w.tags.delete(o.on_close === 'tag' ? o.closed_tag : '');
    else {
      const parent = parentOf(ip, o);
      if (!parent) {
        out.unplaced.push(p);
        continue;
      }
      const key = `${JSON.stringify(parent)} ${p.proto} ${p.port}`;
      const c = creates.get(key) ?? creates.set(key, { ...parent, name: `${p.port}/${p.proto}`, protocol: p.proto, ports: [p.port], ipaddresses: [], description: `${OWN} seen open by scanner ${p.scanner}`.slice(0, 200) }).get(key)!;
      c.ipaddresses.push(ip.id);
    }
  }
  for (const w of work) diff(w, out);
  out.creates.push(...creates.values());
  return out;
}
