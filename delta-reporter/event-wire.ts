// A batch of events as it crosses from a parse thread to the ingest: the common host record (an
// address, a name or two, ports with a state and a service guess) as one flat array of values,
// anything else as it is. Structured clone writes each object with its keys, which cost the parse
// thread a seventh of its time on a big scan and the main thread more to read back; flat values
// cost about a third as much on each side (docs/benchmarks.md). The batch read back equals the
// batch sent (test/delta-reporter/event-wire.test.ts).
import type { HostRecord, ScanEvent } from '../common/types';
import type { EventBatch } from './parse-batches';

type Flat = (string | number | null)[];

export interface WireBatch {
  /** The events in order; null where a host record is in `flat`. */
  events: (ScanEvent | null)[];
  flat: Flat;
  dropped: number;
}

// The fields putHost writes; a record with any other (a fingerprint, a certificate, a field added
// later) goes as it is, so nothing is ever lost on the way.
const HOST_KEYS: ReadonlySet<string> = new Set(['kind', 'ip', 'status', 'hostnames', 'ports', 'position', 'seenAt', 'timedOut', 'mac']);
const PORT_KEYS: ReadonlySet<string> = new Set(['proto', 'port', 'state', 'service']);

function only(o: object, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

function flattens(ev: ScanEvent): ev is HostRecord {
  if (ev.kind !== 'host' || !only(ev, HOST_KEYS)) return false;
  for (const p of ev.ports) if (!only(p, PORT_KEYS)) return false;
  for (const n of ev.hostnames) if (Object.keys(n).length !== 2) return false;
  return true;
}

function putHost(h: HostRecord, flat: Flat): void {
  flat.push(h.ip, h.status, h.position ?? null, h.seenAt ? h.seenAt.getTime() : null, h.timedOut === undefined ? null : h.timedOut ? 1 : 0, h.mac ?? null, h.hostnames.length);
  for (const n of h.hostnames) flat.push(n.name, n.type);
  flat.push(h.ports.length);
  for (const p of h.ports) flat.push(p.proto, p.port, p.state, p.service ?? null);
}

export function toWireBatch(batch: EventBatch): WireBatch {
  const flat: Flat = [];
  const events = batch.events.map((ev) => {
    if (!flattens(ev)) return ev;
    putHost(ev, flat);
    return null;
  });
  return { events, flat, dropped: batch.dropped };
}

/** Reads the flat values back in the order putHost wrote them. */
class FlatReader {
  private i = 0;
  constructor(private readonly flat: Flat) {}
  next<T>(): T {
    return this.flat[this.i++] as T;
  }
  host(): HostRecord {
    const h: HostRecord = { kind: 'host', ip: this.next(), status: this.next(), hostnames: [], ports: [] };
    const position = this.next<string | null>();
    const seenAt = this.next<number | null>();
    const timedOut = this.next<number | null>();
    const mac = this.next<string | null>();
    if (position !== null) h.position = position;
    if (seenAt !== null) h.seenAt = new Date(seenAt);
    if (timedOut !== null) h.timedOut = timedOut === 1;
    if (mac !== null) h.mac = mac;
    for (let n = this.next<number>(); n > 0; n--) h.hostnames.push({ name: this.next(), type: this.next() });
    for (let n = this.next<number>(); n > 0; n--) {
      const p: HostRecord['ports'][number] = { proto: this.next(), port: this.next(), state: this.next() };
      const service = this.next<string | null>();
      if (service !== null) p.service = service;
      h.ports.push(p);
    }
    return h;
  }
}

export function fromWireBatch(w: WireBatch): EventBatch {
  const flat = new FlatReader(w.flat);
  return { events: w.events.map((ev) => ev ?? flat.host()), dropped: w.dropped };
}
