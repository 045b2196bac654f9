// The InputAgent contract: one file per format, listed in registry.ts (STYLE.md "Plug-in contracts").
import type { Readable } from 'node:stream';
import type { HostRecord, PortScope, ScanEvent } from '../common/types';

export interface ParseContext {
  /** Shown in messages (file name, or '-' for stdin). */
  readonly source: string;
  /** IANA zone to read zone-less local times in (nmap -oG headers); default: the machine's. */
  readonly timezone?: string;
  /**
   * Ports the operator says the scan covered (--ports, else the scanner's config), for formats whose
   * records may lack the port (zmap's default output is the address alone).
   */
  readonly portScope?: PortScope;
  /**
   * True once the reader may leave out down hosts that did not time out (the ingest has no use for
   * them, delta-reporter/down-hosts.ts). A reader that does reports each one as UNREAD_DOWN_HOST,
   * so that the records are still counted. Optional: a reader may ignore it.
   */
  readonly dropDownHosts?: () => boolean;
}

/** A down host record left unread (ParseContext.dropDownHosts): counted, never staged. */
export const UNREAD_DOWN_HOST: HostRecord = Object.freeze({ kind: 'host', ip: '', status: 'down', hostnames: Object.freeze([]) as unknown as HostRecord['hostnames'], ports: Object.freeze([]) as unknown as HostRecord['ports'] }) as HostRecord;

export interface InputAgent {
  /** 'nmap-xml' — the name used by --format and in the config. */
  readonly name: string;
  /** Other names --format accepts ('oX', 'xml'). */
  readonly aliases?: readonly string[];
  /** Cheap content check on the first few KiB. */
  sniff(head: Buffer): boolean;
  /**
   * Streams the file as ScanEvents: meta (possibly again at the end), host records, warnings, and
   * exactly one 'end' event last. Throws ScanRejectedError for a file that cannot be read as a whole.
   */
  parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent>;
}
