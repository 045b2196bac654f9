// The classifier's table: (previous state, what the scan says, thresholds) → change flags and next
// state. test/delta-reporter/classify.test.ts runs it against the pure classifier, and
// classify-through-ingest.test.ts runs every case through a real ingest on each database.
import type { HostPrev, PortPrev, PortSeen, Thresholds } from '../../delta-reporter/classify';
import type { FactsPrev } from '../../delta-reporter/classify-facts';
import type { CertFacts, ServiceFingerprint } from '../../common/types';

export const T1: Thresholds = { openAfter: 1, closeAfter: 1, downAfter: 1 };
export const T2: Thresholds = { openAfter: 2, closeAfter: 2, downAfter: 2 };
/** The open ports and the max_open_ports the host-up cases are judged with. */
export const OPEN_COUNT = 3;
export const MAX_OPEN_PORTS = 200;

/** A known-up host named a.test, with `o` changed. */
export const up = (o: Partial<HostPrev> = {}): HostPrev => ({ status: 'up', hostname: 'a.test', namesKnown: true, missStreak: 0, everDown: false, allPorts: false, ...o });
const port = (reported: PortPrev['reported'], openStreak = 1, missStreak = 0): PortPrev => ({ reported, openStreak, missStreak });

export interface HostUpCase {
  title: string;
  prev: HostPrev | null;
  ptr: string | null;
  resolves: boolean;
  change: number;
  returning: boolean;
  previous: string | null;
}

/** Hosts the scan reports up (classifyHostUp). */
export const HOST_UP_CASES: readonly HostUpCase[] = ([
  ['never seen', null, 'a.test', true, 1, false, null],
  ['known up, same name', up(), 'a.test', true, 0, false, null],
  ['known up, renamed', up(), 'b.test', true, 4, false, 'a.test'],
  ['known up, name disappeared', up(), null, true, 4, false, 'a.test'],
  ['known up without a name, name appeared', up({ hostname: null }), 'a.test', true, 4, false, null],
  ['known up, scan did not resolve names', up(), null, false, 0, false, null],
  ['names never resolved before', up({ namesKnown: false, hostname: null }), 'a.test', true, 0, false, null],
  ['back after host_down', up({ status: 'down', everDown: true }), 'a.test', true, 1, true, null],
  ['back after host_down with a new name', up({ status: 'down', everDown: true }), 'b.test', true, 1 | 4, true, 'a.test'],
] as const).map(([title, prev, ptr, resolves, change, returning, previous]) => ({ title, prev, ptr, resolves, change, returning, previous }));

export interface HostMissingCase {
  title: string;
  prev: HostPrev;
  evidence: boolean;
  t: Thresholds;
  change: number;
  nextStatus: HostPrev['status'] | null;
}

/** Known-up hosts the scan does not report up (classifyHostMissing). */
export const HOST_MISSING_CASES: readonly HostMissingCase[] = ([
  ['in scope, complete, down_after 1', up(), true, T1, 2, 'down'],
  ['no evidence (incomplete, out of scope, timed out)', up(), false, T1, 0, null],
  ['first miss under down_after 2', up(), true, T2, 0, 'up'],
  ['second miss under down_after 2', up({ missStreak: 1 }), true, T2, 2, 'down'],
  ['already down', up({ status: 'down', everDown: true }), true, T1, 0, null],
] as const).map(([title, prev, evidence, t, change, nextStatus]) => ({ title, prev, evidence, t, change, nextStatus }));

export interface PortCase {
  title: string;
  prev: PortPrev | null;
  seen: PortSeen;
  hostIsNew: boolean;
  t: Thresholds;
  change: number;
  /** The stored verdict after the scan; 'unchanged': the row is left as it was. */
  reported: PortPrev['reported'] | 'unchanged';
}

/** One port of one host (classifyPort). */
export const PORT_CASES: readonly PortCase[] = ([
  ['new port', null, 'open', false, T1, 8, 'open'],
  ['new port of a new host', null, 'open', true, T1, 9, 'open'],
  ['still open', port('open'), 'open', false, T1, 0, 'open'],
  ['re-opened', port('closed', 0), 'open', false, T1, 32, 'open'],
  ['re-opened on a returning host', port('closed', 0), 'open', true, T1, 33, 'open'],
  ['closed', port('open'), 'missing', false, T1, 16, 'closed'],
  ['closed with its host', port('open'), 'hostDown', false, T1, 18, 'closed'],
  ['first sighting under open_after 2', null, 'open', false, T2, 0, null],
  ['second sighting under open_after 2', port(null, 1), 'open', false, T2, 8, 'open'],
  ['first miss under close_after 2', port('open'), 'missing', false, T2, 0, 'open'],
  ['second miss under close_after 2', port('open', 0, 1), 'missing', false, T2, 16, 'closed'],
  ['open|filtered is no evidence', port('open'), 'noevidence', false, T1, 0, 'unchanged'],
  ['out of scope is no evidence', port('open'), 'unknown', false, T1, 0, 'unchanged'],
  ['already closed stays closed silently', port('closed', 0), 'missing', false, T1, 0, 'closed'],
] as const).map(([title, prev, seen, hostIsNew, t, change, reported]) => ({ title, prev, seen, hostIsNew, t, change, reported }));

// service_changed and cert_changed (classifyFacts): what is stored for a port (its last probed
// fingerprint, its last certificate) + what the scan says → change and what is stored after.
export const svc = (version: string, o: Partial<ServiceFingerprint> = {}): ServiceFingerprint =>
  ({ name: 'ssh', product: 'OpenSSH', version, extrainfo: 'protocol 2.0', tunnel: null, method: 'probed', ...o });
/** nmap without -sV or without an answer: the name from its services table. */
export const guess = (): ServiceFingerprint => ({ name: 'ssh', product: null, version: null, extrainfo: null, tunnel: null, method: 'table' });
const hex = (id: string, n: number): string => id.repeat(n).slice(0, n);
/** Certificate `id` (one hex digit): its fingerprints are made of that digit; `only` leaves out the other fingerprint. */
export const crt = (id: string, only?: 'sha1' | 'sha256'): CertFacts => ({
  sha256: only === 'sha1' ? null : hex(id, 64), sha1: only === 'sha256' ? null : hex(id, 40),
  subject: `CN=${id}.test`, issuer: 'CN=ca.test', not_before: '2026-01-01T00:00:00.000Z', not_after: `2027-0${Number.parseInt(id, 16) % 9 + 1}-01T00:00:00.000Z`,
});

export interface FactsCase {
  title: string;
  prev: FactsPrev | null;
  service: ServiceFingerprint | null;
  cert: CertFacts | null;
  reportedOpen: boolean;
  change: number;
  /** What is stored after the scan. */
  next: FactsPrev;
}

export const FACTS_CASES: readonly FactsCase[] = ([
  ['version changed, both probed', { service: svc('8.9p1'), cert: null }, svc('9.6p1'), null, true, 128, { service: svc('9.6p1'), cert: null }],
  ['same version again', { service: svc('8.9p1'), cert: null }, svc('8.9p1'), null, true, 0, { service: svc('8.9p1'), cert: null }],
  ['first probe', null, svc('9.6p1'), null, true, 0, { service: svc('9.6p1'), cert: null }],
  ['extra info changed', { service: svc('8.9p1'), cert: null }, svc('8.9p1', { extrainfo: 'protocol 1.99' }), null, true, 128, { service: svc('8.9p1', { extrainfo: 'protocol 1.99' }), cert: null }],
  ['now behind TLS', { service: svc('8.9p1'), cert: null }, svc('8.9p1', { tunnel: 'ssl' }), null, true, 128, { service: svc('8.9p1', { tunnel: 'ssl' }), cert: null }],
  ['a table guess after a probe says nothing', { service: svc('8.9p1'), cert: null }, guess(), null, true, 0, { service: svc('8.9p1'), cert: null }],
  ['a scan without -sV says nothing', { service: svc('8.9p1'), cert: null }, null, null, true, 0, { service: svc('8.9p1'), cert: null }],
  ['certificate changed', { service: null, cert: crt('a') }, null, crt('b'), true, 256, { service: null, cert: crt('b') }],
  ['same certificate again', { service: null, cert: crt('a') }, null, crt('a'), true, 0, { service: null, cert: crt('a') }],
  ['first certificate', null, null, crt('a'), true, 0, { service: null, cert: crt('a') }],
  ['a scan without ssl-cert says nothing', { service: null, cert: crt('a') }, null, null, true, 0, { service: null, cert: crt('a') }],
  ['certificate changed, SHA-1 only on both sides', { service: null, cert: crt('a', 'sha1') }, null, crt('b', 'sha1'), true, 256, { service: null, cert: crt('b', 'sha1') }],
  ['no fingerprint in common proves nothing', { service: null, cert: crt('a', 'sha256') }, null, crt('b', 'sha1'), true, 0, { service: null, cert: crt('b', 'sha1') }],
  ['service and certificate changed', { service: svc('8.9p1'), cert: crt('a') }, svc('9.6p1'), crt('b'), true, 384, { service: svc('9.6p1'), cert: crt('b') }],
  ['port not reported open: stored, not reported', { service: svc('8.9p1'), cert: crt('a') }, svc('9.6p1'), crt('b'), false, 0, { service: svc('9.6p1'), cert: crt('b') }],
] as const).map(([title, prev, service, cert, reportedOpen, change, next]) => ({ title, prev, service, cert, reportedOpen, change, next }));
