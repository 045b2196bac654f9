// Where secrets may travel in clear: the loopback range only (127.0.0.0/8, ::1, localhost).
import { canonicalIp, ipKey } from './ip';

const V4_LOOPBACK_LO = ipKey('127.0.0.0');
const V4_LOOPBACK_HI = ipKey('127.255.255.255');

/** True for 127.0.0.0/8, ::1 (also written [::1] or ::ffff:127.x) and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const ip = canonicalIp(h);
  if (!ip) return false;
  if (ip === '::1') return true;
  const key = ipKey(ip);
  return key >= V4_LOOPBACK_LO && key <= V4_LOOPBACK_HI;
}

/** 'HOST:PORT', '[v6]:PORT' → parts; null when it is not of that shape. */
export function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) return null;
  return { host: m[1], port: Number(m[2]) };
}
