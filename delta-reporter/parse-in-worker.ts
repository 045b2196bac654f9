// The main thread's side of a parse in a worker thread (parse-worker.ts): the file's chunks go over
// (handed over, not copied, when the chunk is a whole buffer of its own), batches of events come
// back. Both directions are bounded: at most WINDOW bytes sent and not yet taken by the parser, at
// most BATCHES_AHEAD batches posted and not yet taken by the ingest; nothing queues without end.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventBatch, ParseRequest } from './parse-batches';
import { Gate, type FromWorker, type ToWorker, type WorkerInput } from './parse-protocol';
import { fromWire } from './wire-error';
import { fromWireBatch } from './event-wire';

export const WINDOW = 4 << 20;
export const BATCHES_AHEAD = 4;
/** Before the scan is open (parse-protocol.ts WorkerInput): about 40 MB of a /12 listed with -v. */
export const BATCHES_AHEAD_EARLY = 48;

let running = 0;

/** Parse worker threads started and not yet exited (a failed ingest must leave none behind). */
export function runningWorkers(): number {
  return running;
}

/** The most that was ever outstanding, for the tests of the bounds. */
export interface FlowCounters {
  bytesAhead: number;
  largestChunk: number;
  batchesQueued: number;
}

// Run from the TypeScript sources (jest) there is no .js beside this file: the worker is the
// compiled one in dist/ (`npm test` builds it first, as for the tests that spawn the CLI).
function workerScript(name: string): string {
  if (__filename.endsWith('.ts')) return path.join(__dirname, '..', 'dist', 'delta-reporter', `${name}.js`);
  return path.join(__dirname, `${name}.js`);
}

// The parser's heap is bounded: what it keeps is its place in the file and a few batches; the
// rest is garbage, which an unbounded young generation would let grow with the machine's speed.
const LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/** A parse worker thread, counted in runningWorkers() until it exits. */
export function parseThread(name: string, workerData: unknown): Worker {
  const worker = new Worker(workerScript(name), { workerData, resourceLimits: LIMITS });
  running++;
  worker.once('exit', () => running--);
  return worker;
}

/** The chunk as a buffer that can be handed over: a slice of a larger buffer (a pool, a caller's) is copied. */
function transferable(chunk: Buffer): Uint8Array {
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
  return whole ? chunk : new Uint8Array(chunk);
}

export class WorkerParse implements AsyncIterable<EventBatch> {
  private readonly worker: Worker;
  private readonly queue: EventBatch[] = [];
  private readonly batchArrived = new Gate();
  private readonly chunkTaken = new Gate();
  private readonly primedGate = new Gate();
  private bytesAhead = 0;
  /** The pump has once waited for the thread to take what it was sent (a full window), or is done. */
  private filledOnce = false;
  private finished = false;
  private closed = false;
  private failure: { err: unknown } | null = null;
  private stopping: Promise<number> | null = null;
  readonly flow: FlowCounters = { bytesAhead: 0, largestChunk: 0, batchesQueued: 0 };

  constructor(req: ParseRequest, input: AsyncIterable<Buffer>) {
    const data: WorkerInput = { req, batchesAhead: BATCHES_AHEAD, batchesAheadEarly: BATCHES_AHEAD_EARLY };
    this.worker = parseThread('parse-worker', data);
    this.worker.on('message', (m: FromWorker) => this.received(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new Error(`the parse worker thread stopped (exit code ${code}) before the file was read`));
    });
    void this.pump(input);
  }

  keepDownHosts(keep: boolean): void {
    this.send({ t: 'keep-down', keep });
  }

  // Its window is the same whether the store is open or not; its batches ahead shrink once the scan is.
  storeOpen(): void {}

  scanOpen(): void {
    this.send({ t: 'scan-open' });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EventBatch> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        this.send({ t: 'taken' });
        yield batch;
      } else if (this.failure) throw this.failure.err;
      else if (this.finished) return;
      else await this.batchArrived.wait();
    }
  }

  /** Resolves once the thread has as many bytes in hand as it may (a full WINDOW), or the whole file. */
  async primed(): Promise<void> {
    while (!this.filledOnce && !this.closed && !this.failure) await this.primedGate.wait();
  }

  /** Ends the worker thread (whatever it was doing) and the sending of chunks; safe to call again. */
  async close(): Promise<void> {
    this.closed = true;
    this.chunkTaken.open();
    this.primedGate.open();
    await this.stop();
  }

  private stop(): Promise<number> {
    this.stopping ??= this.worker.terminate();
    return this.stopping;
  }

  private send(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (!this.closed && !this.failure) this.worker.postMessage(m, transfer);
  }

  private received(m: FromWorker): void {
    if (m.t === 'consumed') {
      this.bytesAhead -= m.bytes;
      this.chunkTaken.open();
    } else if (m.t === 'batch') {
      this.queue.push(fromWireBatch(m.batch));
      this.flow.batchesQueued = Math.max(this.flow.batchesQueued, this.queue.length);
    } else if (m.t === 'error') this.fail(fromWire(m.error));
    else {
      this.finished = true;
      // Its work is done: ended now, so its heap is given back before the apply needs memory, and
      // even a caller that forgot close() is not kept running by it.
      this.worker.unref();
      this.stop().catch(() => undefined);
    }
    this.batchArrived.open();
  }

  /** The first failure is the one raised; the worker is ended at once (a read error must stop the parse). */
  private fail(err: unknown): void {
    if (this.finished || this.failure) return;
    this.failure = { err };
    this.chunkTaken.open();
    this.primedGate.open();
    this.batchArrived.open();
    this.stop().catch(() => undefined);
  }

  /** Sends the file's chunks, never more than WINDOW bytes ahead of the parser (one larger chunk alone). */
  private async pump(input: AsyncIterable<Buffer>): Promise<void> {
    try {
      for await (const chunk of input) {
        while (this.bytesAhead > 0 && this.bytesAhead + chunk.length > WINDOW && !this.closed && !this.failure) {
          this.filledOnce = true;
          this.primedGate.open();
          await this.chunkTaken.wait();
        }
        if (this.closed || this.failure) break;
        const bytes = transferable(chunk);
        this.bytesAhead += bytes.byteLength;
        this.flow.bytesAhead = Math.max(this.flow.bytesAhead, this.bytesAhead);
        this.flow.largestChunk = Math.max(this.flow.largestChunk, bytes.byteLength);
        this.send({ t: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
      }
      this.send({ t: 'end' });
    } catch (err) {
      this.fail(err);
    } finally {
      this.filledOnce = true;
      this.primedGate.open();
    }
  }
}
