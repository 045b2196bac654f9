// Target groups (DESIGN §4): among the agents of one target group an equivalent change — same
// address, protocol, port and type, from any scanner — goes out once. Pure: the claim hands in the
// changes it just took and the group's origins other runs already took; this says what to do.
import type { Decision, KeyedChange } from '../db/delivery-repo';

export interface DuplicateRules {
  /** null: the agent is in no target group, nothing is a duplicate. */
  targetGroup: string | null;
  duplicates: 'suppress' | 'confirm';
  /** Equivalent changes further apart than this are separate events (a port re-opened a week later). */
  windowMs: number;
  /** only_unexpected: changes the policy expects are recorded as suppressed and not sent. */
  isExpected(c: KeyedChange): boolean;
}

const sameKey = (a: KeyedChange, b: KeyedChange) =>
  a.ip_key === b.ip_key && a.proto === b.proto && a.port === b.port && a.type === b.type;

/**
 * Decides, lowest change id first, which fresh changes are repeats: of a known origin, or of a
 * fresh change of this very batch (the same agent seeing one event from two scanners). The first of
 * its kind within the window goes out and becomes an origin for the ones after it.
 */
export function decideDuplicates(fresh: readonly KeyedChange[], known: readonly KeyedChange[], rules: DuplicateRules): Map<number, Decision> {
  const out = new Map<number, Decision>();
  const origins = [...known].sort((a, b) => a.change_id - b.change_id);
  for (const c of [...fresh].sort((a, b) => a.change_id - b.change_id)) {
    if (rules.isExpected(c)) {
      out.set(c.change_id, { status: 'suppressed', reason: 'expected' });
      continue;
    }
    if (rules.targetGroup === null) continue;
    const origin = origins.find((o) => sameKey(o, c) && Math.abs(o.detected_at - c.detected_at) <= rules.windowMs);
    if (!origin) origins.push(c);
    else out.set(c.change_id, rules.duplicates === 'suppress' ? { status: 'suppressed', reason: 'duplicate', of: origin.change_id } : { confirms: origin.change_id });
  }
  return out;
}
