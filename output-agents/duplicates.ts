// Target groups (DESIGN §4): among the agents of one target group an equivalent change — same
// address, protocol, port and type, from any scanner — goes out once. Pure: the claim hands in the
// changes it just took and the group's origins other runs already took; this says what to do.
import type { Decision, KeyedChange } from '../db/delivery-repo';
import { SCANNER_EVENTS } from '../common/types';

export interface DuplicateRules {
  /** null: the agent is in no target group, nothing is a duplicate. */
  targetGroup: string | null;
  duplicates: 'suppress' | 'confirm';
  /** Equivalent changes further apart than this are separate events (a port re-opened a week later). */
  windowMs: number;
  /** only_unexpected: changes the policy expects are recorded as suppressed and not sent. */
  isExpected(c: KeyedChange): boolean;
}

const keyOf = (c: KeyedChange) => `${c.ip_key}|${c.proto ?? ''}|${c.port ?? ''}|${c.type}`;

/** An origin and its precedence: known origins before fresh ones, each by change id. */
interface Origin {
  change_id: number;
  detected_at: number;
  rank: number;
}

/** First index in `list` (sorted by detected_at) whose detected_at is at least `t`. */
function lowerBound(list: Origin[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].detected_at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The origins of each equivalence key, sorted by detection time, so finding the one a change
 * repeats looks only at the origins of its key inside its window: the claim runs this while it
 * holds the group's lock, for up to max_changes changes against the group's recent history.
 */
class OriginIndex {
  private readonly byKey = new Map<string, Origin[]>();
  private next = 0;

  add(c: KeyedChange): void {
    const k = keyOf(c);
    const list = this.byKey.get(k) ?? [];
    if (!this.byKey.has(k)) this.byKey.set(k, list);
    list.splice(lowerBound(list, c.detected_at), 0, { change_id: c.change_id, detected_at: c.detected_at, rank: this.next++ });
  }

  /** The first origin (by precedence) equivalent to `c` within the window, if any. */
  find(c: KeyedChange, windowMs: number): Origin | undefined {
    const list = this.byKey.get(keyOf(c));
    if (!list) return undefined;
    let best: Origin | undefined;
    for (let i = lowerBound(list, c.detected_at - windowMs); i < list.length && list[i].detected_at <= c.detected_at + windowMs; i++) {
      if (!best || list[i].rank < best.rank) best = list[i];
    }
    return best;
  }
}

const byId = (a: KeyedChange, b: KeyedChange) => a.change_id - b.change_id;

/**
 * Decides, lowest change id first, which fresh changes are repeats: of a known origin, or of a
 * fresh change of this very batch (the same agent seeing one event from two scanners). The first of
 * its kind within the window goes out and becomes an origin for the ones after it. Where several
 * origins fit, a known one (another run took it first) wins over one of this batch, then the lowest id.
 */
export function decideDuplicates(fresh: readonly KeyedChange[], known: readonly KeyedChange[], rules: DuplicateRules): Map<number, Decision> {
  const out = new Map<number, Decision>();
  const origins = new OriginIndex();
  for (const o of [...known].sort(byId)) origins.add(o);
  for (const c of [...fresh].sort(byId)) {
    if (rules.isExpected(c)) {
      out.set(c.change_id, { status: 'suppressed', reason: 'expected' });
      continue;
    }
    // A scanner event is about one scanner: another scanner's is never the same news.
    if (rules.targetGroup === null || (c.type & SCANNER_EVENTS) !== 0) continue;
    const origin = origins.find(c, rules.windowMs);
    if (!origin) origins.add(c);
    else out.set(c.change_id, rules.duplicates === 'suppress' ? { status: 'suppressed', reason: 'duplicate', of: origin.change_id } : { confirms: origin.change_id });
  }
  return out;
}
