// The pure heart of the delta (DESIGN §3): previous state + what one scan says → change flags and
// the next state. No I/O here; apply-scan.ts feeds it rows in bulk and writes its answers back.
import { ChangeType } from '../common/types';

export interface Thresholds {
  openAfter: number;
  closeAfter: number;
  downAfter: number;
}

export interface HostPrev {
  status: 'up' | 'down';
  hostname: string | null;
  namesKnown: boolean;
  missStreak: number;
  everDown: boolean;
  allPorts: boolean;
}

export interface HostSeen {
  ptr: string | null;
  /** The scan resolved names; otherwise it says nothing about them. */
  resolvesNames: boolean;
  openCount: number;
}

export interface HostDecision {
  change: number;
  returning: boolean;
  hostname: string | null;
  previousHostname: string | null;
  /** The state to store; null = leave the row as it is (or absent). */
  next: HostPrev | null;
  /** A mass-absence scan held back this host_down: the streak reached down_after just now (see `hold`). */
  held?: boolean;
}

/**
 * max_absence (docs/change-types.md): a negative conclusion reached for the first time (its miss
 * streak equals the threshold exactly) is what one broken scan can cause, so a mass-absence scan
 * holds it back and keeps the streak. The next complete scan that misses it again passes the
 * threshold and concludes it, however large its own absence: the outage is real then.
 */
export const isFirstConclusion = (missStreakBefore: number, threshold: number): boolean => missStreakBefore + 1 === threshold;

/** A host the scan reports up. */
export function classifyHostUp(prev: HostPrev | null, seen: HostSeen, maxOpenPorts: number): HostDecision {
  const nameNow = seen.resolvesNames ? seen.ptr : (prev?.hostname ?? null);
  const namesKnown = seen.resolvesNames || (prev?.namesKnown ?? false);
  const renamed = seen.resolvesNames && !!prev?.namesKnown && (prev.hostname ?? null) !== (seen.ptr ?? null);
  const allPorts = seen.openCount > maxOpenPorts;
  let change = 0;
  const returning = prev?.status === 'down';
  if (!prev || prev.status === 'down') change |= ChangeType.new_host;
  if (renamed) change |= ChangeType.dns_changed;
  if (allPorts && !prev?.allPorts) change |= ChangeType.all_ports_answer;
  return {
    change,
    returning,
    hostname: nameNow,
    previousHostname: renamed ? (prev?.hostname ?? null) : null,
    next: { status: 'up', hostname: nameNow, namesKnown, missStreak: 0, everDown: prev?.everDown ?? false, allPorts },
  };
}

/**
 * A known-up host the scan does not report up. `evidence` is false when the scan cannot prove
 * absence: incomplete file, host outside the scan's scope, or nmap timed out on it.
 */
export function classifyHostMissing(prev: HostPrev, evidence: boolean, t: Thresholds, hold = false): HostDecision {
  const none: HostDecision = { change: 0, returning: false, hostname: prev.hostname, previousHostname: null, next: null };
  if (prev.status !== 'up' || !evidence) return none;
  const miss = prev.missStreak + 1;
  if (miss < t.downAfter) return { ...none, next: { ...prev, missStreak: miss } };
  if (hold && isFirstConclusion(prev.missStreak, t.downAfter)) return { ...none, held: true, next: { ...prev, missStreak: miss } };
  return { ...none, change: ChangeType.host_down, next: { ...prev, status: 'down', missStreak: 0, everDown: true, allPorts: false } };
}

export interface PortPrev {
  reported: 'open' | 'closed' | null;
  openStreak: number;
  missStreak: number;
}

/**
 * What the scan says of one port of one host:
 * open; noevidence (open|filtered, or a host answering on every port); missing (not open, in scope);
 * hostDown (its host was just reported down); unknown (outside scope, incomplete scan…).
 */
export type PortSeen = 'open' | 'noevidence' | 'missing' | 'hostDown' | 'unknown';

export interface PortDecision {
  change: number;
  /** null = leave the stored row as it is. */
  next: PortPrev | null;
  /** A mass-absence scan held back this port_closed (see classifyHostMissing). */
  held?: boolean;
}

export function classifyPort(prev: PortPrev | null, seen: PortSeen, hostIsNew: boolean, t: Thresholds, hold = false): PortDecision {
  switch (seen) {
    case 'open': {
      const streak = (prev?.openStreak ?? 0) + 1;
      if (prev?.reported !== 'open' && streak >= t.openAfter) {
        const change = (prev?.reported === 'closed' ? ChangeType.port_reopened : ChangeType.new_port) | (hostIsNew ? ChangeType.new_host : 0);
        return { change, next: { reported: 'open', openStreak: streak, missStreak: 0 } };
      }
      return { change: 0, next: { reported: prev?.reported ?? null, openStreak: streak, missStreak: 0 } };
    }
    case 'hostDown':
      if (!prev) return { change: 0, next: null };
      if (prev.reported === 'open') {
        return { change: ChangeType.host_down | ChangeType.port_closed, next: { reported: 'closed', openStreak: 0, missStreak: 0 } };
      }
      return { change: 0, next: { ...prev, openStreak: 0, missStreak: 0 } };
    case 'missing': {
      if (!prev) return { change: 0, next: null };
      if (prev.reported !== 'open') return { change: 0, next: { ...prev, openStreak: 0 } };
      const miss = prev.missStreak + 1;
      if (hold && isFirstConclusion(prev.missStreak, t.closeAfter)) return { change: 0, held: true, next: { ...prev, openStreak: 0, missStreak: miss } };
      if (miss >= t.closeAfter) return { change: ChangeType.port_closed, next: { reported: 'closed', openStreak: 0, missStreak: 0 } };
      return { change: 0, next: { ...prev, openStreak: 0, missStreak: miss } };
    }
    default:
      return { change: 0, next: null };
  }
}
