// masscan list output (-oL): '#masscan', then 'open tcp 22 10.0.0.1 1741058400' per port (also
// 'closed …' with --show closed, 'banner tcp 22 10.0.0.1 1741058400 ssh SSH-2.0-…' with
// --banners, 'open icmp 0 …' with --ping and 'up arp 0 …' for ARP replies), and '# end' when
// masscan finished: only then is the scan complete.
import type { Readable } from 'node:stream';
import type { ScanEvent } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import type { InputAgent, ParseContext } from './types';
import { firstLine, lineBatches } from './lines';
import { MASSCAN_META, masscanEvents, TimeSpan } from './masscan-record';
import { skipped, withSkippedRecords } from './damaged-records';

const REMEDY = "give the file of a 'masscan -oL' run, or name the right format with --format";
const EDITED = 'masscan never writes this line: copy the file again from the scanner, or fix the line by hand';
const LINE = /^(open|closed|up|banner) (\S+) (\d+) (\S+) (\d+)(?: (\S+) ?(.*))?$/;

function sniff(head: Buffer): boolean {
  return firstLine(head).trimEnd() === '#masscan';
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reject = (line: number, message: string, remedy = EDITED): never => {
    throw new ScanRejectedError(message, { file: ctx.source, position: `line ${line}`, remedy });
  };
  let n = 0;
  let ended = false;
  let cut = false;
  const span = new TimeSpan();
  for await (const batch of lineBatches(input, ctx.source, { max: 1 << 20, what: 'this is not masscan -oL output', remedy: REMEDY })) {
    for (const text of batch.lines) {
      n++;
      if (n === 1) {
        if (text.trimEnd() !== '#masscan') reject(1, "the file does not start with '#masscan'", REMEDY);
        yield MASSCAN_META;
        continue;
      }
      if (text.trim() === '') continue;
      if (!batch.terminated) {
        // masscan writes whole lines; a last line without its newline was cut off mid-write.
        cut = true;
        yield { kind: 'warning', message: 'the last line is cut off: it was dropped', position: `line ${n}` };
        continue;
      }
      if (text.startsWith('#')) {
        if (text.trim() === '# end') ended = true;
        continue;
      }
      if (ended) reject(n, "a record after '# end'");
      const m = LINE.exec(text);
      if (!m) {
        yield skipped(`unreadable line '${text.slice(0, 80)}'`, `line ${n}`);
        continue;
      }
      const [, kind, proto, port, ip, ts, service, banner] = m;
      const fields = { ip, proto, port, timestamp: ts, status: kind === 'banner' ? undefined : kind, service, banner: banner || undefined };
      for (const ev of masscanEvents(fields, `line ${n}`, (message, remedy) => reject(n, message, remedy))) {
        if (ev.kind === 'host') span.add(ev.seenAt);
        yield ev;
      }
    }
  }
  if (n === 0) reject(1, 'the file is empty', REMEDY);
  const times = span.meta();
  if (times) yield times;
  const reason = ended && !cut ? undefined : "no '# end' line: masscan did not finish (killed, or the copy is cut short), so what it does not list proves nothing";
  if (reason) yield { kind: 'warning', message: reason };
  yield { kind: 'end', complete: reason === undefined, ...(times?.finishedAt ? { finishedAt: times.finishedAt } : {}), ...(reason ? { reason } : {}) };
}

export const masscanList = { name: 'masscan-list', aliases: ['masscan-oL', 'oL'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;
