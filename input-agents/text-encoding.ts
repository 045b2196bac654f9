// The character encoding of a scan file, settled once for every format: the input agents read
// UTF-8 without a BOM, and this file makes sure that is what they get. A UTF-8 BOM is dropped;
// UTF-16 and UTF-32 are named and refused (with the iconv line that converts them); an XML
// declaration of ISO-8859-1 or windows-1252 is honoured by converting to UTF-8; and bytes that are
// not UTF-8 in a file read as UTF-8 reject the file with their position, never becoming U+FFFD.
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { ScanRejectedError } from '../common/errors';

type TextEncoding = 'UTF-8' | 'ISO-8859-1' | 'windows-1252' | 'ISO-8859-15';

export interface FileEncoding {
  encoding: TextEncoding;
  /** Bytes of the UTF-8 BOM at the start (0 or 3). */
  bom: number;
}

/** Declared names (lower case) portdelta reads, by the encoding they mean. */
const DECLARED: Readonly<Record<string, TextEncoding>> = {
  'utf-8': 'UTF-8', utf8: 'UTF-8', 'us-ascii': 'UTF-8', ascii: 'UTF-8',
  // A UTF-16/32 declaration in a file that is plainly 8-bit (checked before) is left over from a
  // conversion with iconv, which does not edit the declaration: the bytes are read as UTF-8, strictly.
  'utf-16': 'UTF-8', 'utf-16le': 'UTF-8', 'utf-16be': 'UTF-8', 'utf-32': 'UTF-8', 'ucs-2': 'UTF-8',
  'iso-8859-1': 'ISO-8859-1', 'iso8859-1': 'ISO-8859-1', iso_8859_1: 'ISO-8859-1', 'iso_8859-1': 'ISO-8859-1', latin1: 'ISO-8859-1', 'latin-1': 'ISO-8859-1', l1: 'ISO-8859-1',
  'windows-1252': 'windows-1252', cp1252: 'windows-1252', 'x-cp1252': 'windows-1252',
  'iso-8859-15': 'ISO-8859-15', 'iso8859-15': 'ISO-8859-15', 'iso_8859-15': 'ISO-8859-15', latin9: 'ISO-8859-15',
};

const XML_DECL = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"'<>]{1,40})\1/;

function refuse(source: string, message: string, remedy: string): never {
  throw new ScanRejectedError(message, { file: source, remedy });
}

function iconvRemedy(from: string): string {
  return `convert it to UTF-8 first: iconv -f ${from} -t UTF-8 FILE > FILE.utf8 (then give FILE.utf8)`;
}

/** UTF-16/32 by their byte order mark, or by the zero bytes ASCII text has in them without one. */
function wideEncoding(head: Buffer): { name: string; iconv: string } | null {
  const b = head;
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { name: 'UTF-32 (little-endian, with a byte order mark)', iconv: 'UTF-32' };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { name: 'UTF-32 (big-endian, with a byte order mark)', iconv: 'UTF-32' };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { name: 'UTF-16 (little-endian, with a byte order mark)', iconv: 'UTF-16' };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { name: 'UTF-16 (big-endian, with a byte order mark)', iconv: 'UTF-16' };
  const zeros = [0, 0, 0, 0];
  const n = Math.min(b.length, 256) & ~3;
  if (n < 8) return null;
  for (let i = 0; i < n; i++) if (b[i] === 0) zeros[i & 3]++;
  const most = (i: number) => zeros[i] >= (n / 4) * 0.9;
  const few = (i: number) => zeros[i] <= (n / 4) * 0.1;
  if (most(1) && most(2) && most(3) && few(0)) return { name: 'UTF-32 (little-endian, without a byte order mark)', iconv: 'UTF-32LE' };
  if (most(0) && most(1) && most(2) && few(3)) return { name: 'UTF-32 (big-endian, without a byte order mark)', iconv: 'UTF-32BE' };
  if (most(1) && most(3) && few(0) && few(2)) return { name: 'UTF-16 (little-endian, without a byte order mark)', iconv: 'UTF-16LE' };
  if (most(0) && most(2) && few(1) && few(3)) return { name: 'UTF-16 (big-endian, without a byte order mark)', iconv: 'UTF-16BE' };
  return null;
}

/** The encoding to read the file in, from its first bytes; throws for one portdelta does not read. */
export function fileEncoding(head: Buffer, source: string): FileEncoding {
  const wide = wideEncoding(head);
  if (wide) refuse(source, `the file is ${wide.name} text; portdelta reads UTF-8`, iconvRemedy(wide.iconv));
  const bom = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const decl = XML_DECL.exec(head.toString('latin1', bom, Math.min(head.length, bom + 512)));
  if (!decl) return { encoding: 'UTF-8', bom };
  const name = decl[2].trim();
  const encoding = DECLARED[name.toLowerCase()];
  if (!encoding) {
    refuse(source, `the XML declares encoding="${name.replace(/[^\x20-\x7e]/g, '?')}", which portdelta does not read (it reads UTF-8, ISO-8859-1, ISO-8859-15 and windows-1252)`,
      `${iconvRemedy(name.replace(/[^A-Za-z0-9._:-]/g, ''))}, and change the declaration to encoding="UTF-8"`);
  }
  if (bom && encoding !== 'UTF-8') refuse(source, `the file starts with a UTF-8 byte order mark but its XML declaration says encoding="${name}"`, 'remove the byte order mark, or change the declaration to encoding="UTF-8"');
  return { encoding, bom };
}

/** The head without a UTF-8 BOM, for sniffing. */
export function withoutBom(head: Buffer): Buffer {
  return head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
}

/** Length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
function sequenceLength(b: number): number {
  return b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
}

/** Where a chunk may be cut so no character is split: the bytes after it wait for the next chunk. */
function completeUpTo(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back];
    if (b < 0x80) return buf.length;
    if (b >= 0xc0) return sequenceLength(b) > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/** The offset of the first byte that is not part of valid UTF-8 (the error path only). */
function firstInvalid(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] < 0x80) continue;
    const len = sequenceLength(buf[i]);
    if (len === 0 || !isUtf8(buf.subarray(i, i + len))) return i;
    i += len - 1;
  }
  return buf.length;
}

/** The bytes before `at`, shown safely: printable ASCII as it is, anything else as \xNN. */
function context(buf: Buffer, at: number): string {
  const show = (b: number) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`);
  return [...buf.subarray(Math.max(0, at - 24), at)].map(show).join('');
}

function notUtf8(source: string, buf: Buffer, at: number, offset: number): ScanRejectedError {
  return new ScanRejectedError(`the file is not valid UTF-8: byte 0x${buf[at].toString(16).padStart(2, '0')} after "${context(buf, at)}"`, {
    file: source,
    position: `byte ${offset + at + 1}`,
    remedy: 'convert the file to UTF-8 first (Latin-1 text: iconv -f ISO-8859-1 -t UTF-8 FILE > FILE.utf8), or, for XML, declare its encoding: <?xml version="1.0" encoding="ISO-8859-1"?>',
  });
}

/** Checks UTF-8 chunk by chunk (a character cut between two chunks waits for the next). */
async function* checkedUtf8(input: AsyncIterable<Buffer>, source: string, skip: number, from: number): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null;
  let offset = from; // in the file, of the chunk's first byte
  for await (const raw of input) {
    let buf: Buffer = carry ? Buffer.concat([carry, raw]) : raw;
    if (skip > 0) {
      const n = Math.min(skip, buf.length);
      buf = buf.subarray(n);
      skip -= n;
      offset += n;
    }
    const cut = completeUpTo(buf);
    const whole = cut === buf.length ? buf : buf.subarray(0, cut);
    if (!isUtf8(whole)) throw notUtf8(source, whole, firstInvalid(whole), offset);
    carry = cut === buf.length ? null : buf.subarray(cut);
    offset += cut;
    if (whole.length > 0) yield whole;
  }
  // A character cut by the end of the file is the file's end cut short, which the agent judges.
  if (carry) yield carry;
}

async function* converted(input: AsyncIterable<Buffer>, encoding: TextEncoding): AsyncGenerator<Buffer> {
  const decoder = encoding === 'ISO-8859-1' ? null : new TextDecoder(encoding.toLowerCase());
  for await (const chunk of input) {
    // Single-byte encodings: no character spans two chunks. ISO-8859-1 is decoded as itself, not as
    // windows-1252 (which is what TextDecoder makes of the label 'latin1').
    yield Buffer.from(decoder ? decoder.decode(chunk) : chunk.toString('latin1'), 'utf8');
  }
}

/** The file's content as UTF-8 without a BOM, for the input agent. */
export function utf8Input(input: Readable, enc: FileEncoding, source: string, from = 0): Readable {
  const bytes = input as AsyncIterable<Buffer>;
  // Read from byte `from` on (a part of the file, delta-reporter/parse-in-parts.ts), the BOM is behind.
  const out = enc.encoding === 'UTF-8' ? checkedUtf8(bytes, source, from === 0 ? enc.bom : 0, from) : converted(bytes, enc.encoding);
  return Readable.from(out, { objectMode: false });
}
