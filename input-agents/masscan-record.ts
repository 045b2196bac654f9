// What every masscan format shares: one record per port (or per banner), no host status, no names.
// A host is listed only because a port answered, so every listed host is up; what masscan did not
// list says something only inside a scope the operator supplies (--scope/--ports or the config).
// With --ping (ICMP echo) and ARP, masscan writes a record of the same layout whose "port" is 0 and
// whose protocol is 'icmp' or 'arp' (status 'open', or 'up' for ARP; masscan's output.c): the host
// answered, and that says nothing about any port.
import type { HostRecord, PortState, Proto, ScanEvent, ScanMetaEvent } from '../common/types';
import { canonicalIp } from '../common/ip';
import { isProto } from '../common/ports';
import { SCAN_TIME_REMEDY, scanTime } from './scan-time';
import { skipped, zoneDropped } from './damaged-records';
import { certFromBanner } from './x509-banner';
export { TimeSpan } from './unmarked-lines';

export const MASSCAN_META: ScanMetaEvent = Object.freeze({ kind: 'meta', tool: 'masscan', resolvesNames: false });

/** masscan's protocols that find hosts, not ports (name_from_ip_proto: 0 = arp, 1 = icmp). */
const HOST_PROTOS: ReadonlySet<string> = new Set(['icmp', 'arp']);

export interface MasscanFields {
  ip: string;
  proto: string;
  port: number | string;
  /** 'open' or 'closed' (--show closed), 'up' for ARP; a banner record has none and means open. */
  status?: string;
  /** Unix seconds as masscan writes them (a number or a string of digits). */
  timestamp?: number | string;
  service?: string;
  banner?: string;
}

/** Why a record is not one masscan writes; the caller rejects the file with the record's position. */
interface RecordProblem {
  problem: string;
  remedy?: string;
}

/** A masscan record as a HostRecord, or what is wrong with it. */
function masscanHost(f: MasscanFields, position: string): HostRecord | RecordProblem {
  const ip = canonicalIp(String(f.ip ?? ''));
  if (ip === null) return { problem: `'${String(f.ip).slice(0, 60)}' is not an IP address` };
  const proto = String(f.proto ?? '').toLowerCase();
  const status = f.status ?? 'open';
  const rec: HostRecord = { kind: 'host', ip, status: 'up', hostnames: [], ports: [], position };
  const seen = seconds(f.timestamp);
  if (typeof seen === 'string') return { problem: seen, remedy: SCAN_TIME_REMEDY };
  if (seen) rec.seenAt = seen;
  if (HOST_PROTOS.has(proto)) {
    if (status !== 'open' && status !== 'up') return { problem: `unknown ${proto} status '${String(status).slice(0, 20)}'` };
    return rec; // host up, no port
  }
  if (!isProto(proto)) return { problem: `unknown protocol '${proto.slice(0, 20)}' (masscan writes tcp, udp, sctp, icmp and arp)` };
  const port = typeof f.port === 'number' ? f.port : /^\d{1,5}$/.test(String(f.port)) ? Number(f.port) : NaN;
  if (!(port >= 0 && port <= 65535)) return { problem: `port '${String(f.port).slice(0, 20)}' is not 0-65535` };
  if (status !== 'open' && status !== 'closed') return { problem: `unknown port status '${String(status).slice(0, 20)}'` };
  const fact: HostRecord['ports'][number] = { proto: proto as Proto, port, state: status as PortState };
  if (f.service) fact.service = f.service;
  if (f.banner) fact.banner = f.banner;
  if (f.service === 'X509' && f.banner) {
    const cert = certFromBanner(f.banner);
    if (cert) fact.cert = cert;
  }
  rec.ports.push(fact);
  return rec;
}

/**
 * A masscan record's events: the host (with a warning for a dropped zone id), or the skipped-record
 * warning of a record masscan never writes. A time no scan can have rejects the file (`reject`).
 */
export function masscanEvents(f: MasscanFields, position: string, reject: (message: string, remedy: string) => never): ScanEvent[] {
  const rec = masscanHost(f, position);
  if (!('problem' in rec)) {
    const zone = zoneDropped(String(f.ip), rec.ip, position);
    return zone ? [zone, rec] : [rec];
  }
  if (rec.remedy === SCAN_TIME_REMEDY) return reject(rec.problem, rec.remedy);
  return [skipped(rec.problem, position)];
}

/** masscan's timestamp: undefined when absent or 0 (no time), the reason when no scan can have run then. */
function seconds(v: number | string | undefined): Date | string | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  if (n === 0) return undefined;
  return Number.isFinite(n) ? scanTime(n * 1000, `timestamp ${String(v).slice(0, 20)}`) : undefined;
}
