// A big file whose agent reads it in parts (PartedReading) is parsed by worker threads (one or
// two, partThreads): the main thread cuts the bytes into parts, sends them in turn, and hands the ingest each
// part's batch in file order once the part is known to have been read as the whole file's reading
// would have read it (it ended between two records). A part that did not, or failed, and the last
// part, are read on here from their start, with what the parts before left (counts for messages,
// the damage tally), so that events and errors are exactly those of the parse in one go.
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { PartedReading } from '../input-agents/types';
import { byName } from '../input-agents/registry';
import { utf8Input } from '../input-agents/text-encoding';
import { checkedForDamage, countDamage, newDamageTally } from '../input-agents/damaged-records';
import { batched, droppingContext, type DropSetting, type EventBatch, type EventSource, type ParseInput, type ParseRequest } from './parse-batches';
import { Gate, type FromPartsWorker, type ToPartsWorker } from './parse-protocol';
import { partThread, partThreads } from './part-threads';
import { guarded } from './parse-guard';
import { fromWireBatch } from './event-wire';
import { type Part, PartSplitter } from './part-splitter';

// A part's text and events stay within the thread's young generation: 1 MiB parts cost a third
// more CPU in collections, and 30 MB more memory, than 256 KiB ones (docs/benchmarks.md).
const PART_BYTES = 256 << 10;
/** Parts sent and not yet taken by the ingest: about a MB of the file, and as many parts' events. */
export const PARTS_AHEAD = 4;
/**
 * The same until the ingest says whether down hosts are kept, which it knows from the first host
 * record on (first-host.ts): the parts sent before are read with their down hosts.
 */
export const PARTS_AHEAD_UNDECIDED = 2;
/**
 * The same from then until the store is open: `portdelta ingest` starts the parse of its first
 * file, then loads the database driver and opens the store (cli/ingest.ts), which blocks this
 * thread for 80-150 ms. The threads read on meanwhile: 8 MB of the file (64 parts were no faster,
 * and took 28 MB more).
 */
export const PARTS_AHEAD_OPENING = 32;
/**
 * The same while the scan is opened: the scanner's hosts are read (0.2 s at a /12), or the ingest
 * waits for another one of the same scanner (`serve`, the inbox), which may take minutes.
 */
export const PARTS_AHEAD_EARLY = 8;
const MAX_PENDING = 32 << 20;
/** The bound of each stage, by the flow counter that records it. */
const PARTS_AHEAD_BY = { mostAheadUndecided: PARTS_AHEAD_UNDECIDED, mostAheadOpening: PARTS_AHEAD_OPENING, mostAheadEarly: PARTS_AHEAD_EARLY, mostAhead: PARTS_AHEAD } as const;

export interface PartsTuning {
  partBytes?: number;
  threads?: number;
}

/** The agent's reading in parts, when this file can be read so (UTF-8: the parts are cut as bytes). */
export function partsOf(req: ParseRequest): PartedReading | undefined {
  return req.encoding.encoding === 'UTF-8' ? byName(req.agent)?.parts : undefined;
}

interface Sent {
  part: Part;
  result?: FromPartsWorker;
}

export class PartsParse implements EventSource {
  private readonly workers: Worker[] = [];
  private readonly sent = new Map<number, Sent>();
  private readonly splitter: PartSplitter;
  private readonly drop: DropSetting = { keepDownHosts: null };
  private readonly arrived = new Gate();
  private readonly room = new Gate();
  private readonly dispatching: Promise<void>;
  private dispatched = 0;
  private taken = 0;
  private splitDone = false;
  private splitError: { err: unknown } | null = null;
  private workerDown = false;
  private halted = false;
  private tail: unknown = undefined;
  private readonly damage = newDamageTally();
  private readingOn: AsyncGenerator<EventBatch> | null = null;
  /**
   * Parts the threads read and the ingest took, the part the reading on here started at, the most
   * parts outstanding before the ingest said whether down hosts are kept, before the store was
   * open, before the scan was, and after (tests).
   */
  readonly flow = { partsTaken: 0, readOnFrom: -1, mostAheadUndecided: 0, mostAheadOpening: 0, mostAheadEarly: 0, mostAhead: 0 };
  private stage: 'opening' | 'store open' | 'scan open' = 'opening';

  constructor(private readonly req: ParseRequest, private readonly feed: ParseInput, private readonly reading: PartedReading, tuning: PartsTuning = {}) {
    const input = (feed.input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.splitter = new PartSplitter(input, reading.nextPart, tuning.partBytes ?? PART_BYTES, MAX_PENDING);
    const threads = tuning.threads ?? partThreads();
    for (let i = 0; i < threads; i++) this.workers.push(this.start());
    this.dispatching = this.dispatch();
  }

  keepDownHosts(keep: boolean): void {
    if (this.drop.keepDownHosts === keep) return;
    this.drop.keepDownHosts = keep;
    if (!this.halted) for (const w of this.workers) w.postMessage({ t: 'keep-down', keep } satisfies ToPartsWorker);
    this.room.open();
  }

  storeOpen(): void {
    if (this.stage === 'opening') this.stage = 'store open';
  }

  scanOpen(): void {
    this.stage = 'scan open';
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EventBatch> {
    for (;;) {
      const s = this.sent.get(this.taken);
      if (s?.result && s.result.tail !== null) yield this.take(s.result);
      else if (s?.result || (s && this.workerDown) || (!s && this.splitDone)) {
        this.readingOn = this.readOn();
        yield* this.readingOn;
        return;
      } else await this.arrived.wait();
    }
  }

  /** Resolves once as many parts are sent as may be before the store is open (or all are). */
  async primed(): Promise<void> {
    while (!this.splitDone && !this.halted && this.dispatched - this.taken < this.ahead()) await this.arrived.wait();
  }

  async close(): Promise<void> {
    // Not waiting for the part being cut: on a pipe the next bytes may be minutes away.
    await this.stop();
    await this.readingOn?.return(undefined);
  }

  private start(): Worker {
    const w = partThread();
    w.postMessage({ t: 'start', req: this.req } satisfies ToPartsWorker);
    w.on('message', (m: FromPartsWorker) => {
      const s = this.sent.get(m.index);
      if (s) s.result = m;
      this.arrived.open();
    });
    // A thread that fails is no reason to fail the file: its parts are read on here.
    const down = (): void => {
      this.workerDown = true;
      this.arrived.open();
    };
    w.on('error', down);
    w.on('exit', down);
    return w;
  }

  private take(result: FromPartsWorker): EventBatch {
    this.sent.delete(this.taken++);
    this.flow.partsTaken++;
    this.room.open();
    const batch = fromWireBatch(result.batch);
    for (const ev of batch.events) countDamage(this.damage, ev);
    this.damage.hosts += batch.dropped;
    this.tail = this.reading.joinTails(this.tail, result.tail);
    return batch;
  }

  private ahead(): number {
    return PARTS_AHEAD_BY[this.aheadStage()];
  }

  private aheadStage(): keyof typeof PARTS_AHEAD_BY {
    if (this.drop.keepDownHosts === null) return 'mostAheadUndecided';
    return this.stage === 'opening' ? 'mostAheadOpening' : this.stage === 'store open' ? 'mostAheadEarly' : 'mostAhead';
  }

  private async dispatch(): Promise<void> {
    try {
      for (;;) {
        while (!this.halted && this.dispatched - this.taken >= this.ahead()) await this.room.wait();
        if (this.halted) return;
        const part = await this.splitter.next();
        if (part === null) return;
        const index = this.dispatched++;
        const k = this.aheadStage();
        this.flow[k] = Math.max(this.flow[k], this.dispatched - this.taken);
        this.sent.set(index, { part });
        // A copy handed over: the part is kept here until taken, in case it must be read on.
        const bytes = new Uint8Array(part.bytes);
        if (!this.halted) this.workers[index % this.workers.length].postMessage({ t: 'part', index, bytes, line: part.line } satisfies ToPartsWorker, [bytes.buffer]);
        this.arrived.open();
      }
    } catch (err) {
      this.splitError = { err };
    } finally {
      this.splitDone = true;
      this.arrived.open();
    }
  }

  /** Stops sending parts and ends the threads; safe to call again. */
  private async stop(): Promise<void> {
    this.halted = true;
    this.room.open();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Stopped, and the part being cut, if any, kept with the others: the splitter is ours then. */
  private async halt(): Promise<void> {
    await this.stop();
    await this.dispatching;
  }

  /** The file from the first part not taken to its end, read here as the parse in one go would. */
  private async *readOn(): AsyncGenerator<EventBatch> {
    await this.halt();
    if (this.splitError) throw this.splitError.err;
    this.flow.readOnFrom = this.taken;
    const parts: Part[] = [];
    for (let i = this.taken; i < this.dispatched; i++) parts.push(this.sent.get(i)!.part);
    const from = parts[0] ?? { line: this.splitter.line, byte: this.splitter.byte };
    const { req, drop, feed } = this;
    const ctx = droppingContext(req.ctx, drop);
    const bytes = Readable.from(this.bytesFrom(parts), { objectMode: false });
    const raw = this.reading.readOn(utf8Input(bytes, req.encoding, req.ctx.source, from.byte), ctx, from.line, this.tail);
    yield* batched(guarded(req.agent, checkedForDamage(raw, req.ctx, this.damage), req.ctx, feed.readError), drop);
  }

  private async *bytesFrom(parts: Part[]): AsyncGenerator<Buffer> {
    for (const p of parts) yield p.bytes;
    yield* this.splitter.rest();
  }
}
