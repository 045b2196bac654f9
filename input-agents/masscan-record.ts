// What every masscan format shares: one record per port (or per banner), no host status, no names.
// A host is listed only because a port answered, so every listed host is up; what masscan did not
// list says something only inside a scope the operator supplies (--scope/--ports or the config).
import type { HostRecord, PortState, Proto, ScanMetaEvent } from '../common/types';
import { canonicalIp } from '../common/ip';
import { isProto } from '../common/ports';
export { TimeSpan } from './unmarked-lines';

export const MASSCAN_META: ScanMetaEvent = Object.freeze({ kind: 'meta', tool: 'masscan', resolvesNames: false });

export interface MasscanFields {
  ip: string;
  proto: string;
  port: number | string;
  /** 'open' or 'closed' (--show closed); a banner record has none and means open. */
  status?: string;
  /** Unix seconds as masscan writes them (a number or a string of digits). */
  timestamp?: number | string;
  service?: string;
  banner?: string;
}

/** A masscan record as a HostRecord, or the reason it is not one (the caller rejects with its position). */
export function masscanHost(f: MasscanFields, position: string): HostRecord | string {
  const ip = canonicalIp(String(f.ip ?? ''));
  if (ip === null) return `'${String(f.ip).slice(0, 60)}' is not an IP address`;
  const proto = String(f.proto ?? '').toLowerCase();
  if (!isProto(proto)) return `unknown protocol '${proto.slice(0, 20)}'`;
  const port = typeof f.port === 'number' ? f.port : /^\d{1,5}$/.test(String(f.port)) ? Number(f.port) : NaN;
  if (!(port >= 0 && port <= 65535)) return `port '${String(f.port).slice(0, 20)}' is not 0-65535`;
  const status = f.status ?? 'open';
  if (status !== 'open' && status !== 'closed') return `unknown port status '${String(status).slice(0, 20)}'`;
  const fact: HostRecord['ports'][number] = { proto: proto as Proto, port, state: status as PortState };
  if (f.service) fact.service = f.service;
  if (f.banner) fact.banner = f.banner;
  const rec: HostRecord = { kind: 'host', ip, status: 'up', hostnames: [], ports: [fact], position };
  const seen = seconds(f.timestamp);
  if (seen) rec.seenAt = seen;
  return rec;
}

export function seconds(v: number | string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : undefined;
}
