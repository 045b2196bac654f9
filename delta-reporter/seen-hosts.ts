// Which hosts of a scan need the database at all. Loaded at the start of an ingest: every host
// the scanner knows as up, with its digest when it may be skipped (db/seen-repo.ts says when).
// While the file streams in, each host record is looked up once: the same digest means the scan
// says nothing new of it, and it is neither staged nor written. At the end, the hosts not looked
// up are the ones the scan did not list: only those and the staged ones are worked on, so an
// unchanged night costs one pass over the file and one read of the scanner's hosts.
import type { Dialect } from '../db/dialects/types';
import * as seen from '../db/seen-repo';
import type { Trx } from '../db/ingest-repo';

/** Map values besides a digest (digests are ≥ 0). */
const NOT_SKIPPABLE = -1;
const SKIPPED = -2;
const STAGED = -3;

export type Visit = 'skip' | 'stage' | 'restage';

export class SeenHosts {
  /** Hosts skipped, and their open ports (the scan summary's hosts_up and ports_open count them). */
  skippedHosts = 0;
  skippedPorts = 0;
  /** Hosts skipped at their first record that turned up again (several records of one address): staged after all. */
  readonly restage: string[] = [];

  private constructor(
    private readonly known: Map<string, number>,
    /** False: every host is staged (the layout is kept up all the same), for tests and comparisons. */
    private readonly skipping: boolean,
  ) {}

  static async load(trx: Trx, dialect: Dialect, scannerId: number, skipping: boolean): Promise<SeenHosts> {
    const known = new Map<string, number>();
    for await (const page of dialect.pages(trx, seen.upHosts(scannerId))) {
      for (const r of page) known.set(r.ip_key, r.live_seq === null || r.digest === null ? NOT_SKIPPABLE : Number(r.digest));
    }
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
    for (const [key, v] of this.known) if (v >= NOT_SKIPPABLE) yield key;
  }
}
