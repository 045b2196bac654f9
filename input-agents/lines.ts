// The lines of a stream for the line-based agents (-oG, masscan -oL/-oD, zmap, naabu), a chunk's
// worth at a time so memory stays flat; '\r\n' and '\n' both end a line, a leading BOM is dropped.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ScanRejectedError } from '../common/errors';

export interface LineBatch {
  lines: string[];
  /** false only for a last line the file did not end (cut short, or written without a final newline). */
  terminated: boolean;
}

export interface LineLimit {
  /** Longest line accepted: a longer one is not the format (or is hostile). */
  max: number;
  /** What the line is not, and what to do, for the rejection. */
  what: string;
  remedy: string;
}

export async function* lineBatches(input: Readable, source: string, limit: LineLimit): AsyncIterable<LineBatch> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  let count = 0;
  for await (const chunk of input) {
    let text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (first && text.length > 0) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    count += lines.length;
    if (rest.length > limit.max) {
      throw new ScanRejectedError(`a line longer than ${limit.max} bytes: ${limit.what}`, { file: source, position: `line ${count + 1}`, remedy: limit.remedy });
    }
    if (lines.length > 0) yield { lines, terminated: true };
  }
  rest += decoder.end();
  if (first) rest = rest.replace(/^\uFEFF/, '');
  if (rest !== '') yield { lines: [rest.replace(/\r$/, '')], terminated: false };
}

/** The first line of a sniffed head, without BOM and leading blank lines. */
export function firstLine(head: Buffer): string {
  const text = head.toString('utf8', 0, Math.min(head.length, 64 * 1024)).replace(/^\uFEFF/, '').replace(/^\s*\n/, '');
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
}
