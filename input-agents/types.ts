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

/**
 * A format whose files can be cut into parts read side by side (two threads on a big file) and
 * still give the events of the whole file read in one go, in the same order. `Tail` is what a
 * part's reading leaves that later parts' messages need (records counted, the last one's name).
 */
export interface PartedReading<Tail = unknown> {
  /** Where a part may start at or after `from` in `buf` (the first byte of a record), or -1 when these bytes do not show one. */
  nextPart(buf: Buffer, from: number): number;
  /**
   * One part read alone, from line `line` (1: the file's first part). Its events, and its tail, or
   * null when the part did not end where a record may start: then it must be read on from its start.
   * Throws what the whole file's reading would throw in this part, but with counts that start at 0.
   */
  readPart(text: string, ctx: ParseContext, line: number): { events: ScanEvent[]; tail: Tail | null };
  /** What the parts so far left, and one more part's tail. */
  joinTails(before: Tail | undefined, tail: Tail): Tail;
  /** The file from a part's start (line `line`) to its end, read as the whole file's reading would read it there. */
  readOn(input: Readable, ctx: ParseContext, line: number, before: Tail | undefined): AsyncIterable<ScanEvent>;
}

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
  /**
   * Present when a big file may be read in parts side by side (delta-reporter/parse-in-parts.ts).
   * Its events are the reader's own: the damage check over all parts (damaged-records.ts
   * checkedForDamage) and the time checks are the caller's, as `parse` does them for a whole file.
   */
  readonly parts?: PartedReading;
}
