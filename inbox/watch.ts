// The inbox watcher (DESIGN §7). It polls: fs.watch misses events on NFS, CIFS and some container
// mounts, and a listing every second costs nothing next to an ingest. Settled files are taken one at
// a time, oldest scan first, and the listing is read again after each, so a file that settles
// meanwhile still gets its turn by scan time. A file that could not be ingested for a reason not its
// own waits out its back-off while the files behind it go on.
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/connection';
import type { Config } from '../config/config';
import { describeError } from '../common/errors';
import { listInbox, SettleTracker, signature, type InboxEntry, type InboxListing } from './files';
import { PeekCache, type Peek } from './peek';
import { processEntry, type InboxResult } from './process';
import { Backoff, ProblemLog } from './watch-state';

export interface WatchOptions {
  inbox: string;
  settleMs: number;
  /** Take what is settled now (waiting `settleMs` to tell), then return; else run until `signal` aborts. */
  once: boolean;
  /** Aborted by SIGTERM/SIGINT: the file being ingested is finished, then the watcher returns. */
  signal: AbortSignal;
  onResult(r: InboxResult): void;
  /** `--once`: the first listing found `files` files; the watcher now waits `settleMs` before looking again. */
  onListed?(files: number, settleMs: number): void;
  now?: () => Date;
  /** The daemon calls this at start and then about once a minute (scanner silence); it must not throw. */
  everyMinute?: () => Promise<void>;
}

export type WatchCounts = Record<InboxResult['status'], number>;

/** A quarter of the settle time, between 50 ms and 1 s. */
export function pollInterval(settleMs: number): number {
  return Math.min(1000, Math.max(50, Math.round(settleMs / 4)));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** Returns once `ms` have really passed on the monotonic clock: a timer may fire a millisecond early. */
export async function waitAtLeast(ms: number, signal: AbortSignal): Promise<void> {
  const start = performance.now();
  for (let left = ms; left > 0 && !signal.aborted; left = ms - (performance.now() - start)) {
    await sleep(Math.ceil(left), signal);
  }
}

export async function watchInbox(db: Db, config: Config, o: WatchOptions): Promise<WatchCounts> {
  const w = watching(db, config, o);
  if (o.once) await settleOnce(w, o);
  else await pollUntilAborted(w, o);
  return w.counts;
}

/** What one run of the watcher shares between its steps: the counts, the peeks, and how a file is listed and taken. */
interface Watching {
  counts: WatchCounts;
  peeks: PeekCache;
  now(): Date;
  emit(r: InboxResult): void;
  list(): Promise<InboxListing>;
  /** Scan start from the file's head where it says, else mtime; ties by path. */
  oldestFirst(ready: InboxEntry[]): Promise<Array<{ e: InboxEntry; peek: Peek }>>;
  take(e: InboxEntry, peek: Peek): Promise<InboxResult | null>;
}

function watching(db: Db, config: Config, o: WatchOptions): Watching {
  const now = o.now ?? (() => new Date());
  const peeks = new PeekCache();
  const counts: WatchCounts = { applied: 0, stale: 0, duplicate: 0, failed: 0, deferred: 0, waiting: 0 };
  const emit = (r: InboxResult) => {
    counts[r.status]++;
    o.onResult(r);
  };
  const problems = new ProblemLog();
  const list = async (): Promise<InboxListing> => {
    const listing = await listInbox(o.inbox);
    for (const p of problems.fresh(listing.problems)) {
      emit({ file: p.rel, scanner: p.rel.split('/')[0], status: 'deferred', moved_to: null, error: p.message, warnings: [], at: now().toISOString() });
    }
    return listing;
  };

  const oldestFirst = async (ready: InboxEntry[]): Promise<Array<{ e: InboxEntry; peek: Peek }>> => {
    const withPeek = [];
    for (const e of ready) withPeek.push({ e, peek: await peeks.get(e.abs, e.stat, e.folder, config) });
    const key = (x: { e: InboxEntry; peek: Peek }) => x.peek.startedAt ?? x.e.stat.mtimeMs;
    return withPeek.sort((a, b) => key(a) - key(b) || (a.e.rel < b.e.rel ? -1 : a.e.rel > b.e.rel ? 1 : 0));
  };

  const take = async (e: InboxEntry, peek: Peek): Promise<InboxResult | null> => {
    let r: InboxResult | null;
    try {
      r = await processEntry(db, config, o.inbox, e, peek, now);
    } catch (err) {
      // The archive or failed/ folder could not be written: the file stays and is tried again.
      r = { file: e.rel, scanner: e.folder, status: 'deferred', moved_to: null, error: describeError(err), warnings: [], at: now().toISOString() };
    }
    if (r) emit(r);
    return r;
  };
  return { counts, peeks, now, emit, list, oldestFirst, take };
}

/**
 * --once. Settled: present in both listings, looking the same, with at least the settle time between
 * them. Whatever appeared or changed in between is still being written: left for the next run.
 */
async function settleOnce(w: Watching, o: WatchOptions): Promise<void> {
  const first = await w.list();
  o.onListed?.(first.entries.length, o.settleMs);
  await waitAtLeast(o.settleMs, o.signal);
  const later = await w.list();
  const before = new Map(first.entries.map((e) => [e.abs, signature(e.stat)]));
  const settled = later.entries.filter((e) => before.get(e.abs) === signature(e.stat));
  for (const e of later.entries.filter((x) => before.get(x.abs) !== signature(x.stat))) {
    w.emit({ file: e.rel, scanner: e.folder, status: 'waiting', moved_to: null, warnings: [], at: w.now().toISOString() });
  }
  for (const { e, peek } of await w.oldestFirst(settled)) {
    if (o.signal.aborted) break;
    await w.take(e, peek);
  }
}

/** The daemon: each poll takes the oldest settled file not backing off, one at a time, until the signal. */
async function pollUntilAborted(w: Watching, o: WatchOptions): Promise<void> {
  const tracker = new SettleTracker();
  const backoff = new Backoff();
  const poll = pollInterval(o.settleMs);
  let lastMinute = -Infinity;
  while (!o.signal.aborted) {
    if (o.everyMinute && performance.now() - lastMinute >= 60_000) {
      lastMinute = performance.now();
      await o.everyMinute();
    }
    const { entries } = await w.list();
    const t = performance.now();
    tracker.observe(entries, t);
    w.peeks.keepOnly(new Set(entries.map((e) => e.abs)));
    backoff.keepOnly(entries);
    const next = (await w.oldestFirst(entries.filter((e) => tracker.isSettled(e, t, o.settleMs) && !backoff.waiting(e, t))))[0];
    if (!next) {
      await sleep(poll, o.signal);
      continue;
    }
    const r = await w.take(next.e, next.peek);
    if (r?.status === 'deferred') backoff.failed(next.e, performance.now());
    else backoff.forget(next.e);
  }
}
