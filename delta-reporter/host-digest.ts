// What a host looked like in one scan, as a 52-bit number: equal digests mean the scan says the
// same of the host as the scan before it (name, MAC, every listed port with its service guess,
// fingerprint and certificate), under the same settings. Ingest skips such a host when its state
// has nothing pending (db/seen-repo.ts), so the digest must change whenever anything the apply
// reads changes; a collision would hide a change, hence two independent 32-bit hashes, not one.
import type { Cell } from '../db/stage-writer';

export class Digest {
  private a = 0x811c9dc5;
  private b = 0x9747b28c;

  constructor(seed: string) {
    this.text(seed);
  }

  /** A cell: numbers and strings mixed apart (1 and '1' differ), null as its own mark. */
  cell(v: Cell): this {
    if (v === null) return this.num(0x9e3779b9);
    if (typeof v === 'number') return this.num(1).num(v);
    return this.num(2).text(v);
  }

  num(n: number): this {
    this.a = Math.imul(this.a ^ (n | 0), 0x01000193);
    this.b = Math.imul(this.b ^ (n | 0), 0x5bd1e995);
    this.b ^= this.b >>> 15;
    if (n > 0x7fffffff || n < -0x80000000) this.num(Math.floor(n / 2 ** 32));
    return this;
  }

  text(s: string): this {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.a = Math.imul(this.a ^ c, 0x01000193);
      this.b = Math.imul(this.b ^ c, 0x5bd1e995);
      this.b ^= this.b >>> 13;
    }
    return this.num(s.length);
  }

  /** 20 bits of one hash and 32 of the other: exact as a JavaScript number and as a bigint column. */
  value(): number {
    return (this.a >>> 12) * 2 ** 32 + (this.b >>> 0);
  }
}
