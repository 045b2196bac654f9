// The parse worker thread: takes the file's bytes from the ingest (parse-ahead.ts), runs the input
// agent over them and posts the events back in batches, at most `batchesAhead` not yet taken.
// Errors go back as data (wire-error.ts); the main thread ends this thread when it is done with it.
import { parentPort, workerData } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { batched, parsedEvents, type DropSetting } from './parse-batches';
import { Gate, type FromWorker, type ToWorker, type WorkerInput } from './parse-protocol';
import { toWire } from './wire-error';
import { toWireBatch } from './event-wire';

const port = parentPort!;
const { req, batchesAhead, batchesAheadEarly } = workerData as WorkerInput;
const drop: DropSetting = { keepDownHosts: null };
const chunks: Uint8Array[] = [];
const chunkArrived = new Gate();
const batchTaken = new Gate();
let ended = false;
let posted = 0;
let scanOpen = false;

const post = (m: FromWorker): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.t === 'chunk' || m.t === 'end') {
    if (m.t === 'chunk') chunks.push(m.bytes);
    else ended = true;
    chunkArrived.open();
    return;
  }
  if (m.t === 'keep-down') drop.keepDownHosts = m.keep;
  else if (m.t === 'scan-open') scanOpen = true;
  else posted--;
  batchTaken.open();
});

async function* received(): AsyncGenerator<Buffer> {
  for (;;) {
    const c = chunks.shift();
    if (c) {
      post({ t: 'consumed', bytes: c.byteLength });
      yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    } else if (ended) return;
    else await chunkArrived.wait();
  }
}

async function run(): Promise<void> {
  try {
    // A read error is the main thread's to raise: here the bytes only ever end.
    const events = parsedEvents(req, Readable.from(received(), { objectMode: false }), () => undefined, drop);
    for await (const batch of batched(events, drop)) {
      while (posted >= (scanOpen ? batchesAhead : batchesAheadEarly)) await batchTaken.wait();
      posted++;
      post({ t: 'batch', batch: toWireBatch(batch) });
    }
    post({ t: 'done' });
  } catch (err) {
    post({ t: 'error', error: toWire(err) });
  }
}

void run();
