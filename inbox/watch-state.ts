// What the watcher daemon remembers between listings: each deferred file's back-off, and which
// folder problems it has already logged (a listing every second must not log the same one each time).
import { signature, type InboxEntry, type InboxProblem } from './files';

const FIRST_MS = 1000;
const MAX_MS = 60_000;

/**
 * Per file: a file not ingested for a reason that is not its own (database down, disk full, its
 * archive folder not writable) is tried again after 1 s, 2 s, 4 s … up to a minute, and the files
 * behind it are taken meanwhile. A file that changes starts afresh.
 */
export class Backoff {
  private files = new Map<string, { sig: string; until: number; delay: number }>();

  waiting(e: InboxEntry, now: number): boolean {
    const b = this.files.get(e.abs);
    return !!b && b.sig === signature(e.stat) && now < b.until;
  }

  failed(e: InboxEntry, now: number): void {
    const before = this.files.get(e.abs);
    const delay = before && before.sig === signature(e.stat) ? Math.min(MAX_MS, before.delay * 2) : FIRST_MS;
    this.files.set(e.abs, { sig: signature(e.stat), until: now + delay, delay });
  }

  forget(e: InboxEntry): void {
    this.files.delete(e.abs);
  }

  /** Forgets files no longer in the inbox, and those that changed. */
  keepOnly(entries: readonly InboxEntry[]): void {
    const sigs = new Map(entries.map((e) => [e.abs, signature(e.stat)]));
    for (const [abs, b] of this.files) if (sigs.get(abs) !== b.sig) this.files.delete(abs);
  }
}

/** Folder problems: each is logged when it first appears (or says something new), again only after it was gone. */
export class ProblemLog {
  private logged = new Map<string, string>();

  fresh(problems: readonly InboxProblem[]): InboxProblem[] {
    const out = problems.filter((p) => this.logged.get(p.rel) !== p.message);
    this.logged = new Map(problems.map((p) => [p.rel, p.message]));
    return out;
  }
}
