// Cuts a file's bytes into parts of about `size` bytes, each starting where the file's agent says a
// part may (PartedReading.nextPart), with the line and byte it starts at. The bytes after the last
// cut stay here until the input ends: the last part, and the fallback, are read on (rest()).
import type { PartedReading } from '../input-agents/types';

export interface Part {
  bytes: Buffer;
  /** Where the part starts in the file: its line (1-based) and byte offset. */
  line: number;
  byte: number;
}

function newlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

export class PartSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  /** How far the pending bytes were searched without finding a start. */
  private searched = 0;
  private ended = false;
  /** Where the pending bytes start. */
  line = 1;
  byte = 0;

  /** `maxPending`: a file that shows no start in that many bytes is read on from there in one piece. */
  constructor(
    private readonly input: AsyncIterator<Buffer>,
    private readonly nextPart: PartedReading['nextPart'],
    private readonly size: number,
    private readonly maxPending: number,
  ) {}

  /** The next part; null once the input ended, or no start showed within maxPending bytes. */
  async next(): Promise<Part | null> {
    for (;;) {
      if (this.pending > this.size) {
        const buf = this.joined();
        const at = this.nextPart(buf, Math.max(this.size, this.searched));
        if (at > 0) return this.cut(buf, at);
        // A start cut by the end of these bytes is found once more arrive.
        this.searched = Math.max(this.size, buf.length - 64);
      }
      if (this.ended || this.pending > this.maxPending) return null;
      const r = await this.input.next();
      if (r.done) this.ended = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.pending += r.value.length;
      }
    }
  }

  /** The pending bytes and the rest of the input: what is read on from `line`, `byte`. */
  async *rest(): AsyncGenerator<Buffer> {
    const chunks = this.chunks;
    this.chunks = [];
    this.pending = 0;
    yield* chunks;
    if (this.ended) return;
    for (let r = await this.input.next(); !r.done; r = await this.input.next()) yield r.value;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private cut(buf: Buffer, at: number): Part {
    const part = { bytes: buf.subarray(0, at), line: this.line, byte: this.byte };
    this.chunks = [buf.subarray(at)];
    this.pending = buf.length - at;
    this.searched = 0;
    this.line += newlines(part.bytes);
    this.byte += at;
    return part;
  }
}
