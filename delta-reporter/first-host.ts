// The file's events up to its first host record, read as soon as the parse begins, before the
// store is open: the scan's scope follows from the file's metadata and the configuration alone, and
// with it whether the parse must keep the down hosts. Told at once, the parse threads skip those
// from their second part on; told only once the scan is open, they would keep them in every part
// read while the database driver loads, which on a /16 are two thirds of the hosts.
import type { ScanMetaEvent } from '../common/types';
import type { EventBatch, EventSource } from './parse-batches';

export function mergeMeta(into: ScanMetaEvent, ev: ScanMetaEvent): void {
  for (const [k, v] of Object.entries(ev)) if (v !== undefined) (into as unknown as Record<string, unknown>)[k] = v;
}

/** Iterating yields the batches read ahead, then the rest of the parse's; one iteration only. */
export class FirstHostAhead<T> implements AsyncIterable<EventBatch> {
  /** Settles once the first host record (or the end, or a failure) is read. */
  readonly read: Promise<void>;
  /** What `decide` made of the metadata before the first host record, if it got that far. */
  decided: T | undefined;
  private readonly batches: EventBatch[] = [];
  private readonly it: AsyncIterator<EventBatch>;
  private failure: { err: unknown } | null = null;
  private ended = false;

  /** `decide`: the scan's opening from the metadata; it says whether down hosts are kept, or throws (openScan raises it then). */
  constructor(source: EventSource, decide: (meta: ScanMetaEvent) => { keepDown: boolean; value: T }) {
    this.it = source[Symbol.asyncIterator]();
    this.read = this.readAhead(source, decide);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EventBatch> {
    await this.read;
    yield* this.batches.splice(0);
    if (this.failure) throw this.failure.err;
    if (this.ended) return;
    for (let r = await this.it.next(); !r.done; r = await this.it.next()) yield r.value;
  }

  private async readAhead(source: EventSource, decide: (meta: ScanMetaEvent) => { keepDown: boolean; value: T }): Promise<void> {
    const meta: ScanMetaEvent = { kind: 'meta' };
    try {
      for (let r = await this.it.next(); !r.done; r = await this.it.next()) {
        this.batches.push(r.value);
        for (const ev of r.value.events) {
          if (ev.kind === 'meta') mergeMeta(meta, ev);
          else if (ev.kind === 'host') return this.decideOn(source, decide, meta);
        }
      }
      this.ended = true;
    } catch (err) {
      this.failure = { err };
    }
  }

  private decideOn(source: EventSource, decide: (meta: ScanMetaEvent) => { keepDown: boolean; value: T }, meta: ScanMetaEvent): void {
    let d: { keepDown: boolean; value: T };
    try {
      d = decide({ ...meta });
    } catch {
      // An opening that fails is raised where the scan is opened, in the order of the file's events.
      return;
    }
    this.decided = d.value;
    source.keepDownHosts(d.keepDown);
  }
}
