// What the phpipam kind writes, worked out as plain data from (what phpIPAM has, what the run
// knows): per address at most one PATCH (lastSeen, mac, hostname, the "gone" mark together), one
// POST per new host when creating is on, one PATCH per subnet for its discovery time. Only what
// differs from phpIPAM's values is written, so a repeated run writes nothing.
import { ipKey, parseTarget, canonicalIp, rangesContain } from '../common/ip';
import { wallClock } from '../common/local-time';
import { ChangeType, type IpRange } from '../common/types';
import type { SeenHost } from '../db/host-seen-repo';
import { isDnsName } from './inventory-options';
import type { ReportChange } from './types';

/** phpIPAM rows as its API returns them (every value a string, as from MySQL). */
export interface PhpSubnet {
  id: string | number;
  subnet: string;
  mask: string | number;
  isFolder?: string | number | null;
  lastDiscovery?: string | null;
}
export type PhpAddress = Record<string, unknown> & { id: string | number; ip: string; subnetId?: string | number };

export interface PlanOptions {
  create_addresses: boolean;
  update_hostname: boolean;
  /** The tag (phpIPAM ipTags id) or custom field a gone host gets; absent: nothing. */
  host_gone?: { tag: number } | { field: string; value: string };
  /** The tag an address gets back when its host is up again. */
  up_tag: number;
  /** The IANA zone of phpIPAM's DATETIMEs (its server's local time); UTC when absent. */
  timezone?: string;
}

export interface Plan {
  patches: Array<{ id: string; ip: string; body: Record<string, unknown> }>;
  creates: Array<Record<string, unknown>>;
  subnets: Array<{ id: string; body: Record<string, unknown> }>;
  /** Host names not written because they are not plain DNS names (shown escaped in the log). */
  refusedNames: string[];
}

interface Facts {
  ip: string;
  scanner: string;
  lastSeenMs?: number;
  mac?: string;
  hostname?: string | null;
  /** true: the last word is host_down; false: it is up again; undefined: neither. */
  gone?: boolean;
  isNew: boolean;
}

/** phpIPAM's DATETIME: the wall-clock time in its zone (PHP's date(), as its own scan agent writes it). */
const phpTime = (ms: number, zone = 'UTC') => new Date(wallClock(ms, zone)).toISOString().slice(0, 19).replace('T', ' ');
const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;
const UP = ~(ChangeType.host_down | ChangeType.dns_changed);

function factsOf(changes: ReportChange[], seen: SeenHost[]): Map<string, Facts> {
  const facts = new Map<string, Facts>();
  const get = (ip: string, scanner: string) => facts.get(ip) ?? facts.set(ip, { ip, scanner, isNew: false }).get(ip)!;
  const seenAt = (f: Facts, ms: number) => void (f.lastSeenMs = Math.max(f.lastSeenMs ?? 0, ms));
  for (const h of seen) {
    const f = get(h.ip, h.scanner);
    seenAt(f, h.lastSeenMs);
    if (h.mac && MAC.test(h.mac)) f.mac = h.mac.toUpperCase().replace(/-/g, ':');
  }
  for (const c of [...changes].sort((a, b) => a.id - b.id)) {
    if (!c.ip) continue;
    const f = get(c.ip, c.scanner);
    if (c.type & ChangeType.host_down) f.gone = true;
    else if (c.type & UP) {
      if (f.gone) f.gone = false;
      seenAt(f, Date.parse(c.scan_time ?? c.detected_at));
    }
    if (c.type & ChangeType.new_host) {
      f.isNew = true;
      if (f.gone === undefined) f.gone = false;
    }
    if (c.type & (ChangeType.dns_changed | ChangeType.new_host)) f.hostname = c.hostname;
  }
  return facts;
}

interface Located {
  subnet: PhpSubnet;
  range: IpRange;
}

/** The most specific subnet (not a folder) holding the address. */
function locate(ip: string, subnets: Located[]): PhpSubnet | null {
  const key = ipKey(ip);
  const holding = subnets.filter((s) => rangesContain([s.range], key));
  holding.sort((a, b) => (a.range.hi < b.range.hi || (a.range.hi === b.range.hi && a.range.lo > b.range.lo) ? -1 : 1));
  return holding[0]?.subnet ?? null;
}

export function located(subnets: PhpSubnet[]): Located[] {
  return subnets
    .filter((s) => Number(s.isFolder ?? 0) !== 1)
    .flatMap((s) => (parseTarget(`${s.subnet}/${s.mask}`) ?? []).map((range) => ({ subnet: s, range })));
}

/** The subnets the run's addresses fall in: the ones whose addresses the agent reads. */
export function subnetsFor(changes: ReportChange[], seen: SeenHost[], subnets: Located[]): PhpSubnet[] {
  const hit = new Map<string, PhpSubnet>();
  for (const ip of factsOf(changes, seen).keys()) {
    const s = locate(ip, subnets);
    if (s) hit.set(String(s.id), s);
  }
  return [...hit.values()];
}

function addressBody(f: Facts, have: PhpAddress | undefined, o: PlanOptions, refused: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const seen = f.lastSeenMs === undefined ? undefined : phpTime(f.lastSeenMs, o.timezone);
  if (seen && (!have || String(have.lastSeen ?? '') < seen)) body.lastSeen = seen;
  if (f.mac && String(have?.mac ?? '').toUpperCase() !== f.mac) body.mac = f.mac;
  if (f.hostname && (o.update_hostname || !have)) {
    if (!isDnsName(f.hostname)) refused.push(f.hostname);
    else if (have?.hostname !== f.hostname) body.hostname = f.hostname;
  }
  const g = o.host_gone;
  if (g && f.gone !== undefined && have) {
    if ('tag' in g) {
      const tag = f.gone ? g.tag : o.up_tag;
      if (String(have.tag ?? '') !== String(tag)) body.tag = tag;
    } else {
      const value = f.gone ? g.value : '';
      if (String(have[g.field] ?? '') !== value) body[g.field] = value;
    }
  }
  return body;
}

export function plan(changes: ReportChange[], seen: SeenHost[], subnets: Located[], addresses: PhpAddress[], o: PlanOptions): Plan {
  const out: Plan = { patches: [], creates: [], subnets: [], refusedNames: [] };
  const byIp = new Map(addresses.map((a) => [canonicalIp(a.ip) ?? a.ip, a]));
  const discovered = new Map<string, { subnet: PhpSubnet; ms: number }>();
  for (const f of factsOf(changes, seen).values()) {
    const subnet = locate(f.ip, subnets);
    if (!subnet) continue;
    if (f.lastSeenMs !== undefined) {
      const d = discovered.get(String(subnet.id));
      if (!d || d.ms < f.lastSeenMs) discovered.set(String(subnet.id), { subnet, ms: f.lastSeenMs });
    }
    const have = byIp.get(f.ip);
    const body = addressBody(f, have, o, out.refusedNames);
    if (have && Object.keys(body).length) out.patches.push({ id: String(have.id), ip: f.ip, body });
    if (!have && f.isNew && !f.gone && o.create_addresses) {
      out.creates.push({ subnetId: String(subnet.id), ip: f.ip, ...body, description: `found by portdelta (scanner ${f.scanner})`.slice(0, 64), tag: o.up_tag });
    }
  }
  for (const { subnet, ms } of discovered.values()) {
    const at = phpTime(ms, o.timezone);
    if (String(subnet.lastDiscovery ?? '') < at) out.subnets.push({ id: String(subnet.id), body: { lastDiscovery: at } });
  }
  return out;
}
