// A worker thread that reads parts of a file (parse-in-parts.ts): each part arrives whole, is read
// alone by the agent's PartedReading and goes back as one batch with what it leaves for the parts
// after it. A part it cannot vouch for (it failed, or did not end between two records) goes back
// without a tail: the main thread then reads the file on from that part itself, which gives the
// exact error or events the whole file's reading would. So nothing but "no" needs to cross here.
// The file's request comes as the first message: the thread may be started (and its modules
// loaded) while the command itself is still starting (warmPartThreads).
import { isUtf8 } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { byName } from '../input-agents/registry';
import type { ParseContext, PartedReading } from '../input-agents/types';
import { addEvent, droppingContext, type DropSetting, type EventBatch, type ParseRequest } from './parse-batches';
import type { FromPartsWorker, ToPartsWorker } from './parse-protocol';
import { checkTimes } from './parse-guard';
import { toWireBatch } from './event-wire';

const port = parentPort!;
const drop: DropSetting = { keepDownHosts: null };
let file: { req: ParseRequest; reading: PartedReading; ctx: ParseContext } | null = null;

function readPart(index: number, bytes: Buffer, line: number): FromPartsWorker {
  const { req, reading, ctx } = file!;
  const text = bytes.toString('utf8', line === 1 ? req.encoding.bom : 0);
  const { events, tail } = reading.readPart(text, ctx, line);
  const batch: EventBatch = { events: [], dropped: 0 };
  for (const ev of events) {
    checkTimes(ev, ctx.source);
    addEvent(batch, ev, drop);
  }
  return { t: 'part', index, batch: toWireBatch(batch), tail };
}

function answer(index: number, bytes: Buffer, line: number): FromPartsWorker {
  try {
    // Bytes that are not UTF-8 are the reading on's to name, with their place in the file.
    if (isUtf8(bytes)) return readPart(index, bytes, line);
  } catch {
    // the reading on raises it, as the whole file's reading would
  }
  return { t: 'part', index, batch: toWireBatch({ events: [], dropped: 0 }), tail: null };
}

port.on('message', (m: ToPartsWorker) => {
  if (m.t === 'start') file = { req: m.req, reading: byName(m.req.agent)!.parts!, ctx: droppingContext(m.req.ctx, drop) };
  else if (m.t === 'keep-down') drop.keepDownHosts = m.keep;
  else port.postMessage(answer(m.index, Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.line));
});
