// A streaming rewrite of a generated scan file, whole lines at a time (the generator writes ASCII
// only, so latin1 is lossless): the /12's 365 MB never sit in memory at once. Used for the -sV
// copies (versions.ts) and the re-dated night (redated.ts).
import fs from 'node:fs';

const CHUNK = 1 << 20;

/**
 * Writes `edit` of every chunk of whole lines of `from` to `to`, in order; `first` is true for the
 * chunk holding the file's header. Returns the size written in bytes.
 */
export function rewriteLines(from: string, to: string, edit: (text: string, first: boolean) => string): number {
  const src = fs.openSync(from, 'r');
  const dst = fs.openSync(to, 'w');
  const buf = Buffer.allocUnsafe(CHUNK);
  let rest = '';
  let bytes = 0;
  let first = true;
  const put = (s: string): void => {
    const b = Buffer.from(edit(s, first), 'latin1');
    first = false;
    fs.writeSync(dst, b);
    bytes += b.length;
  };
  try {
    for (let n; (n = fs.readSync(src, buf, 0, CHUNK, null)) > 0; ) {
      const text = rest + buf.toString('latin1', 0, n);
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      if (cut > 0) put(text.slice(0, cut));
    }
    if (rest) put(rest);
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
  return bytes;
}
