// Which hosts of a scan need the database at all. Loaded at the start of an ingest: every host
// the scanner knows as up, with its digest when it may be skipped (db/seen-repo.ts says when).
// While the file streams in, each host record is looked up once: the same digest means the scan
// says nothing new of it, and it is neither staged nor written. At the end, the hosts not looked
// up are the ones the scan did not list: only those and the staged ones are worked on, so an
// unchanged night costs one pass over the file and one read of the scanner's hosts.
import type { Dialect } from '../db/dialects/types';
import * as seen from '../db/seen-repo';
import type { Trx } from '../db/ingest-repo';
import { V4_PREFIX } from '../common/ip';

/** Values besides a digest (digests are ≥ 0). */
const NOT_SKIPPABLE = -1;
const SKIPPED = -2;
const STAGED = -3;

export type Visit = 'skip' | 'stage' | 'restage';

/**
 * Address key → value. A /12 has 300,000 hosts up: IPv4 keys are kept as numbers in sorted typed
 * arrays (12 bytes a host, nothing for the garbage collector to trace), other keys in a Map.
 */
class KeyTable {
  private v4 = new Uint32Array(1024);
  private v4Values = new Float64Array(1024);
  private v4Count = 0;
  private readonly other = new Map<string, number>();

  private sorted = true;

  /** Keys arrive in key order (ORDER BY ip_key) as a rule, so IPv4 ones append sorted; seal() sorts them if a page or a collation did otherwise. */
  add(key: string, value: number): void {
    const n = v4Number(key);
    if (n === null) {
      this.other.set(key, value);
      return;
    }
    if (this.v4Count === this.v4.length) this.grow();
    if (this.v4Count > 0 && n <= this.v4[this.v4Count - 1]) this.sorted = false;
    this.v4[this.v4Count] = n;
    this.v4Values[this.v4Count++] = value;
  }

  seal(): void {
    if (this.sorted) return;
    const order = Array.from({ length: this.v4Count }, (_, i) => i).sort((a, b) => this.v4[a] - this.v4[b]);
    this.v4 = Uint32Array.from(order, (i) => this.v4[i]);
    this.v4Values = Float64Array.from(order, (i) => this.v4Values[i]);
    this.sorted = true;
  }

  get(key: string): number | undefined {
    const n = v4Number(key);
    if (n === null) return this.other.get(key);
    const i = this.find(n);
    return i < 0 ? undefined : this.v4Values[i];
  }

  /** Only for keys get() found. */
  set(key: string, value: number): void {
    const n = v4Number(key);
    if (n === null) this.other.set(key, value);
    else this.v4Values[this.find(n)] = value;
  }

  *entries(): Generator<[string, number]> {
    for (let i = 0; i < this.v4Count; i++) yield [V4_PREFIX + this.v4[i].toString(16).padStart(8, '0'), this.v4Values[i]];
    yield* this.other;
  }

  private find(n: number): number {
    let lo = 0;
    let hi = this.v4Count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.v4[mid];
      if (m === n) return mid;
      if (m < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private grow(): void {
    const keys = new Uint32Array(this.v4.length * 2);
    const values = new Float64Array(this.v4.length * 2);
    keys.set(this.v4);
    values.set(this.v4Values);
    this.v4 = keys;
    this.v4Values = values;
  }
}

function v4Number(key: string): number | null {
  return key.length === 32 && key.startsWith(V4_PREFIX) ? parseInt(key.slice(24), 16) : null;
}

export class SeenHosts {
  /** Hosts skipped, and their open ports (the scan summary's hosts_up and ports_open count them). */
  skippedHosts = 0;
  skippedPorts = 0;
  /** Hosts skipped at their first record that turned up again (several records of one address): staged after all. */
  readonly restage: string[] = [];

  private constructor(
    private readonly known: KeyTable,
    /** False: every host is staged (the layout is kept up all the same), for tests and comparisons. */
    private readonly skipping: boolean,
  ) {}

  static async load(trx: Trx, dialect: Dialect, scannerId: number, skipping: boolean): Promise<SeenHosts> {
    const known = new KeyTable();
    for await (const page of seen.upHostPages(trx, dialect, scannerId)) {
      for (const host of page.split(';')) {
        const [key, liveSeq, digest] = host.split(',');
        known.add(key, liveSeq === '' || digest === '' ? NOT_SKIPPABLE : Number(digest));
      }
    }
    known.seal();
    return new SeenHosts(known, skipping);
  }

  /** What to do with a host record: `digest` null when the record may not be skipped (down, timed out, open|filtered ports, …). */
  visit(key: string, digest: number | null, openPorts: number): Visit {
    const v = this.known.get(key);
    if (v === undefined) return 'stage';
    if (v === SKIPPED) {
      this.known.set(key, STAGED);
      this.restage.push(key);
      return 'restage';
    }
    if (this.skipping && digest !== null && v === digest) {
      this.known.set(key, SKIPPED);
      this.skippedHosts++;
      this.skippedPorts += openPorts;
      return 'skip';
    }
    this.known.set(key, STAGED);
    return 'stage';
  }

  /** Hosts known as up that the scan did not list (called once, after the last record). */
  *absent(): Generator<string> {
    for (const [key, v] of this.known.entries()) if (v >= NOT_SKIPPABLE) yield key;
  }
}
