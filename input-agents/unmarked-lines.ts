// Line formats without an end marker (masscan -oD's cousins: zmap CSV, naabu -json). Nothing in
// such a file says the scanner finished, so the last line stands in: scanners write whole lines,
// and a last line without its newline means the copy (or the run) was cut short. Such files should
// reach the inbox by rename (scp to .part, then mv), never by growing in place.
import type { Readable } from 'node:stream';
import type { ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../common/types';
import { lineBatches, type LineLimit } from './lines';

/** The earliest and latest record times: these formats record no scan start, so the first answer stands in for it. */
export class TimeSpan {
  private lo = Infinity;
  private hi = -Infinity;
  add(d: Date | undefined): void {
    if (!d) return;
    const t = d.getTime();
    if (t < this.lo) this.lo = t;
    if (t > this.hi) this.hi = t;
  }
  meta(): ScanMetaEvent | undefined {
    return this.lo === Infinity ? undefined : { kind: 'meta', startedAt: new Date(this.lo), finishedAt: new Date(this.hi) };
  }
}

export interface UnmarkedState {
  lines: number;
  cut: boolean;
}

/** The non-blank whole lines, numbered; a cut-off last line becomes a warning and marks the state. */
export async function* unmarkedLines(input: Readable, source: string, limit: LineLimit, state: UnmarkedState): AsyncIterable<{ text: string; n: number } | ScanWarningEvent> {
  for await (const batch of lineBatches(input, source, limit)) {
    for (const text of batch.lines) {
      const n = ++state.lines;
      if (text.trim() === '') continue;
      if (!batch.terminated) {
        state.cut = true;
        yield { kind: 'warning', message: 'the last line is cut off: it was dropped', position: `line ${n}` };
        continue;
      }
      yield { text, n };
    }
  }
}

/** The closing events: the record times, and complete unless the last line was cut. */
export function* unmarkedEnd(span: TimeSpan, state: UnmarkedState): Iterable<ScanEvent> {
  const times = span.meta();
  if (times) yield times;
  const reason = state.cut ? 'the last line has no newline: the file may be cut short, so what it does not list proves nothing' : undefined;
  if (reason) yield { kind: 'warning', message: reason };
  yield { kind: 'end', complete: !reason, ...(times?.finishedAt ? { finishedAt: times.finishedAt } : {}), ...(reason ? { reason } : {}) };
}
