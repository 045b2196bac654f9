// Holds a command's output until it has succeeded, so a failure leaves stdout empty: in memory up to
// a limit, then in a temporary file (memory stays flat whatever the size).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class Spool {
  private parts: string[] = [];
  private size = 0;
  private fd: number | null = null;
  private file: string | null = null;

  constructor(private readonly limit = 4 << 20) {}

  write(text: string): void {
    if (this.fd !== null) {
      fs.writeSync(this.fd, text);
      return;
    }
    this.parts.push(text);
    this.size += text.length;
    if (this.size > this.limit) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portdelta-spool-'));
      this.file = path.join(dir, 'out');
      this.fd = fs.openSync(this.file, 'wx+', 0o600);
      fs.writeSync(this.fd, this.parts.join(''));
      this.parts = [];
    }
  }

  /** Hands everything written to `out`, in pieces. */
  flushTo(out: (text: string) => void): void {
    if (this.fd === null) {
      for (const p of this.parts) out(p);
      this.parts = [];
      return;
    }
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    let carry = Buffer.alloc(0);
    for (let n = fs.readSync(this.fd, buf, 0, buf.length, pos); n > 0; n = fs.readSync(this.fd, buf, 0, buf.length, pos)) {
      pos += n;
      const chunk = Buffer.concat([carry, buf.subarray(0, n)]);
      const cut = lastCharBoundary(chunk);
      out(chunk.toString('utf8', 0, cut));
      carry = Buffer.from(chunk.subarray(cut));
    }
    if (carry.length) out(carry.toString('utf8'));
  }

  discard(): void {
    this.parts = [];
    if (this.fd !== null) fs.closeSync(this.fd);
    if (this.file) fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    this.fd = null;
    this.file = null;
  }
}

/** The length of the longest prefix that does not end inside a UTF-8 character. */
function lastCharBoundary(b: Buffer): number {
  let i = b.length;
  let back = 0;
  while (i > 0 && back < 4 && (b[i - 1] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return b.length;
  const lead = b[i - 1];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need === back + 1 ? b.length : i - 1;
}
