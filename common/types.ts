// The canonical model every part speaks (DESIGN §2). Input agents yield ScanEvents; the delta
// reporter turns them into state rows and Changes.

export type Proto = 'tcp' | 'udp' | 'sctp';
export const PROTOS: readonly Proto[] = Object.freeze(['tcp', 'udp', 'sctp']);

/** nmap's port states; masscan and the others only ever say 'open' (or 'closed' for masscan -oL/-oJ). */
export type PortState =
  | 'open'
  | 'closed'
  | 'filtered'
  | 'unfiltered'
  | 'open|filtered'
  | 'closed|filtered';

interface Hostname {
  name: string;
  /** PTR = reverse DNS (what dns_changed compares); user = the name the scan was told to scan. */
  type: 'PTR' | 'user';
}

/** Inclusive port range. */
export interface PortRange {
  lo: number;
  hi: number;
}

/** Per-protocol port ranges. A protocol that is absent was not scanned at all. */
export type PortScope = Partial<Record<Proto, PortRange[]>>;

/** Inclusive range of sortable IP keys (32 hex digits, see common/ip.ts). */
export interface IpRange {
  lo: string;
  hi: string;
}

export interface PortFact {
  proto: Proto;
  port: number;
  state: PortState;
  service?: string;
  product?: string;
  version?: string;
  banner?: string;
  /** The service fingerprint as the scanner determined it (nmap -sV); service_changed compares probed ones. */
  fingerprint?: ServiceFingerprint;
  /** The TLS certificate the port presented (nmap's ssl-cert script). */
  cert?: CertFacts;
}

/** What a version scan says runs on a port (nmap <service>); absent parts are null. */
export interface ServiceFingerprint {
  name: string | null;
  product: string | null;
  version: string | null;
  extrainfo: string | null;
  tunnel: string | null;
  /** 'probed': the service answered a probe; 'table': a guess from the port number, which says nothing. */
  method: 'probed' | 'table';
}

/** A TLS certificate as portdelta keeps it; `sha256` or `sha1` identifies it (both when the scanner gave them). */
export interface CertFacts {
  sha256: string | null;
  sha1: string | null;
  subject: string;
  issuer: string;
  /** ISO-8601 UTC, or null when the scanner gave no readable time. */
  not_before: string | null;
  not_after: string | null;
}

/** Everything one input record says about one host. The same ip may come in several records (masscan writes one per port). */
export interface HostRecord {
  kind: 'host';
  ip: string;
  status: 'up' | 'down';
  hostnames: Hostname[];
  mac?: string;
  /** nmap gave up on this host (--host-timeout): its record holds only positive evidence. */
  timedOut?: boolean;
  ports: PortFact[];
  /** Ports the scanner summarised as open|filtered without listing them (nmap extraports): no evidence either way. */
  unknownPorts?: PortScope;
  seenAt?: Date;
  /** 1-based line (text formats) or byte offset (XML) where the record starts, for messages. */
  position?: string;
}

/** What the file says about the scan itself; an agent may yield it more than once (header, then trailer). */
export interface ScanMetaEvent {
  kind: 'meta';
  tool?: string;
  toolVersion?: string;
  /** The scanner's command line as recorded in the file. */
  args?: string;
  startedAt?: Date;
  finishedAt?: Date;
  /** Target ranges the file records (uniform CSV #scope); nmap targets are derived from args instead. */
  hostScope?: IpRange[];
  /** Ports the file records as scanned (nmap scaninfo, -oG '# Ports scanned', uniform CSV #ports). */
  portScope?: PortScope;
  /** false when the scan did not resolve names (nmap -n, masscan): then it says nothing about PTR names. */
  resolvesNames?: boolean;
  /** Scanner name recorded in the file (uniform CSV #scanner). */
  scanner?: string;
  /** Time zone the file's local times were read in (nmap -oG). */
  timezone?: string;
}

/** The file ended. complete=false: truncated or interrupted, so absence proves nothing. */
export interface ScanEndEvent {
  kind: 'end';
  complete: boolean;
  finishedAt?: Date;
  reason?: string;
}

export interface ScanWarningEvent {
  kind: 'warning';
  message: string;
  position?: string;
  /** A record that could not be read was skipped: the scan then proves nothing by absence (DESIGN §3). */
  skippedRecord?: boolean;
}

export type ScanEvent = ScanMetaEvent | HostRecord | ScanEndEvent | ScanWarningEvent;

/** Dr. Portscan's change types, kept as bit flags (DESIGN §3). */
export const ChangeType = Object.freeze({
  unchanged: 0,
  new_host: 1,
  host_down: 2,
  dns_changed: 4,
  new_port: 8,
  port_closed: 16,
  port_reopened: 32,
  /** A host answered on more than max_open_ports ports: one flag instead of hundreds of new_port events. */
  all_ports_answer: 64,
  /** An open port's probed service fingerprint differs from its last probed one (nmap -sV on both scans). */
  service_changed: 128,
  /** The TLS certificate on an open port differs from the last one seen. */
  cert_changed: 256,
  /** Scanner events (no ip): expect_every passed without an applied complete scan; it sent one again. */
  scanner_silent: 512,
  scanner_back: 1024,
  /** A complete scan would have taken down or closed more than max_absence: its negatives were held back. */
  mass_absence: 2048,
} as const);
/** The scanner events: about a scanner, not an address (DESIGN §3). */
export const SCANNER_EVENTS = ChangeType.scanner_silent | ChangeType.scanner_back | ChangeType.mass_absence;
export type ChangeTypeName = keyof typeof ChangeType;
export const CHANGE_TYPE_NAMES = Object.freeze(
  (Object.keys(ChangeType) as ChangeTypeName[]).filter((n) => ChangeType[n] !== 0),
);

/** Names of the bits set in a mask, lowest bit first. */
export function typeNames(mask: number): ChangeTypeName[] {
  return CHANGE_TYPE_NAMES.filter((n) => (mask & ChangeType[n]) !== 0);
}

/** A change as `changes --json` prints it (DESIGN §5). */
export interface ChangeRow {
  id: number;
  scanner: string;
  group: string | null;
  /** null for scanner events (scanner_silent, scanner_back, mass_absence). */
  ip: string | null;
  proto: Proto | null;
  port: number | null;
  type: number;
  types: ChangeTypeName[];
  hostname: string | null;
  previous_hostname: string | null;
  returning: boolean;
  detected_at: string;
  scan_id: number;
  /** Scanner events: what they are about in numbers (held-back counts, silent since …); null otherwise. */
  details: Record<string, unknown> | null;
  /** One of the changes of the scanner's first applied scan (DESIGN §3). */
  baseline: boolean;
  /** service_changed: the fingerprint now and the last probed one before; null otherwise. */
  service: ServiceFingerprint | null;
  previous_service: ServiceFingerprint | null;
  /** cert_changed: the certificate now and the one seen before; null otherwise. */
  cert: CertFacts | null;
  previous_cert: CertFacts | null;
}

/** One member's view in a scanner-group disagreement (DESIGN §3). */
export interface DisagreementView {
  scanner: string;
  /** 'open' | 'not open' (in scope of its latest complete scan and not open) */
  view: 'open' | 'not open';
  scan_id: number;
  scan_time: string | null;
}

export interface Disagreement {
  group: string;
  ip: string;
  proto: Proto;
  port: number;
  hostname: string | null;
  views: DisagreementView[];
}

/** An IPv4 and an IPv6 address of one host (the configuration's `dual_stack:` list). */
export interface DualStackPair {
  ipv4: string;
  ipv6: string;
}

/** One family's view of a port in a dual-stack disagreement. */
export interface FamilyView {
  family: 'ipv4' | 'ipv6';
  ip: string;
  /** 'not open': in scope of the scanner's latest complete scan of that address and not open. */
  view: 'open' | 'not open';
  scan_id: number;
  scan_time: string | null;
}

/** A port one scanner sees open on a host's IPv4 address and not on its IPv6 address, or the reverse. */
export interface FamilyDisagreement {
  scanner: string;
  hostname: string | null;
  /** How the two addresses were linked: the same PTR name, or the configuration's dual_stack list. */
  linked_by: 'ptr' | 'config';
  proto: Proto;
  port: number;
  /** The IPv4 view first. */
  views: FamilyView[];
}

/** Which stored changes a query asks for (`changes` options, the read API's parameters). */
export interface ChangeFilter {
  sinceMs?: number;
  afterId?: number;
  scanner?: string;
  typeMask?: number;
  networks?: IpRange[];
  scanId?: number;
  /** The changes one report run took (its run id, from the report's "not listed" line). */
  report?: string;
  /** With report: only those the report counted but did not list (max_listed). */
  unlisted?: boolean;
  /** The dashboard's further filters and its pages: detected before, the scanner's stored group, one port number. */
  untilMs?: number;
  group?: string;
  port?: number;
  limit?: number;
  offset?: number;
  newestFirst?: boolean;
  /** A further condition over the change's columns (alias c), parameterised: the policy's verdict in SQL. */
  where?: { sql: string; bindings: Array<string | number> };
}
