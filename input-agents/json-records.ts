// Splits a stream of JSON objects into records, streaming: a JSON array of objects (masscan -oJ),
// objects one per line (NDJSON: masscan -oD, naabu -json) and masscan 1.0.x's mixture (objects
// ending in ',', a '{finished: 1}' record, '[' without ']', keys without quotes). Only the
// outermost structure is tracked here; each object is parsed on its own (parseLooseObject).
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface JsonRecord {
  text: string;
  /** 1-based line the object starts on. */
  line: number;
}

/** What the outer structure said once the stream ended. */
export interface JsonShape {
  /** The file began with '['. */
  array: boolean;
  /** … and that '[' was closed. */
  closed: boolean;
  /** Top-level ',' between objects (a JSON array, or masscan 1.0.x's trailing commas). */
  commas: boolean;
  /** The stream ended inside an object (the object is dropped). */
  cutAt?: number;
  /** The last character was a newline (no half-written line at the end). */
  endsWithNewline: boolean;
}

export class JsonShapeError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

export async function* jsonRecords(input: Readable, shape: JsonShape, maxRecord: number): AsyncIterable<JsonRecord[]> {
  const decoder = new StringDecoder('utf8');
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1; // index in `buf` where the current object starts
  let startLine = 0;
  let buf = '';
  let seenAny = false;
  let last = '';
  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (!seenAny && text.length > 0) text = text.replace(/^\uFEFF/, '');
    if (text.length === 0) continue;
    const out: JsonRecord[] = [];
    const base = buf.length;
    buf += text;
    for (let i = base; i < buf.length; i++) {
      const c = buf[i];
      if (c === '\n') line++;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          if (--depth === 0) {
            out.push({ text: buf.slice(start, i + 1), line: startLine });
            start = -1;
          }
        }
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
      if (shape.closed) throw new JsonShapeError(`'${c}' after the closing ']'`, line);
      if (c === '{') {
        depth = 1;
        start = i;
        startLine = line;
      } else if (c === '[' && !seenAny) shape.array = true;
      else if (c === ']' && shape.array) shape.closed = true;
      else if (c === ',' && seenAny) shape.commas = true;
      else throw new JsonShapeError(`unexpected '${c}' between records`, line);
      seenAny = true;
    }
    last = buf[buf.length - 1];
    buf = start >= 0 ? buf.slice(start) : '';
    if (start >= 0) start = 0;
    if (buf.length > maxRecord) throw new JsonShapeError(`a record longer than ${maxRecord} bytes`, startLine);
    if (out.length > 0) yield out;
  }
  const tail = decoder.end();
  if (tail.trim() !== '' && depth === 0) throw new JsonShapeError('an incomplete UTF-8 character at the end', line);
  if (depth > 0) shape.cutAt = startLine;
  shape.endsWithNewline = last === '\n';
}

/** JSON.parse, and failing that the same text with bare keys quoted ('{finished: 1}', masscan 1.0.x's 'ip: "…"'). */
export function parseLooseObject(text: string): Record<string, unknown> | null {
  for (const t of [text, quoteBareKeys(text)]) {
    try {
      const v = JSON.parse(t) as unknown;
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      // try the next spelling
    }
  }
  return null;
}

function quoteBareKeys(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z_$][\w$-]*(?=\s*:)/.exec(text.slice(i, i + 64));
    if (m && /[{,]\s*$/.test(out)) {
      out += `"${m[0]}"`;
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
