// Which rule decides an (ip, proto, port), precomputed so that judging a night's changes or a /16's
// open ports costs a binary search and a walk over the few rules whose network holds the address.
// The order (docs/target-state.md): the smallest network, then the fewest ports ('any' counts as
// all 65,536), then a named proto before 'any', then deny before allow, then the earlier rule.
import { canonicalIp, ipKey } from '../common/ip';
import { countPorts, portInRanges } from '../common/ports';
import { PROTOS, type IpRange, type PortRange, type PortScope, type Proto } from '../common/types';
import type { PolicyRegions } from '../db/audit-repo';
import type { PolicyRule } from './policy-rules';

type Reason = 'allowed' | 'denied' | 'not allowed' | 'no policy';

export interface Decision {
  /** Some rule's network holds the address (else the policy says nothing about it). */
  covered: boolean;
  allowed: boolean;
  reason: Reason;
  /** The rule that decided; null when no rule names this port (or the address is not covered). */
  rule: PolicyRule | null;
  owner: string | null;
  note: string | null;
}

interface Entry {
  rule: PolicyRule;
  /** Number of addresses in this range of the rule's network. */
  size: bigint;
  lo: bigint;
  hi: bigint;
}

const ALL_PORTS = 65536;
const MAX_KEY = (1n << 128n) - 1n;
const toBig = (key: string): bigint => BigInt('0x' + key);
const toKey = (n: bigint): string => n.toString(16).padStart(32, '0');

/** How many ports of `proto` the rule names (ALL_PORTS for 'any'), or null when it names none. */
function portsOf(rule: PolicyRule, proto: Proto): { ranges: PortRange[] | null; count: number } | null {
  if (rule.proto !== 'any' && rule.proto !== proto) return null;
  if (rule.ports === 'any') return { ranges: null, count: ALL_PORTS };
  const ranges = rule.ports[proto];
  return ranges ? { ranges, count: countPorts(ranges) } : null;
}

export class RuleIndex {
  /** Start key of each elementary segment, sorted; segment i runs up to the next start. */
  private readonly starts: string[] = [];
  /** The entries covering each segment, most specific network first. */
  private readonly covering: Entry[][] = [];

  constructor(rules: readonly PolicyRule[]) {
    const entries: Entry[] = rules.flatMap((rule) =>
      rule.ranges.map((r) => {
        const lo = toBig(r.lo);
        const hi = toBig(r.hi);
        return { rule, lo, hi, size: hi - lo + 1n };
      }),
    );
    entries.sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : a.rule.index - b.rule.index));
    // Sweep over every range boundary: between two boundaries the set of covering ranges is constant.
    const opens = new Map<bigint, number[]>();
    const closes = new Map<bigint, number[]>();
    entries.forEach((e, i) => {
      (opens.get(e.lo) ?? opens.set(e.lo, []).get(e.lo)!).push(i);
      if (e.hi < MAX_KEY) (closes.get(e.hi + 1n) ?? closes.set(e.hi + 1n, []).get(e.hi + 1n)!).push(i);
    });
    const points = [...new Set([...opens.keys(), ...closes.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const active = new Set<number>();
    for (const p of points) {
      for (const i of closes.get(p) ?? []) active.delete(i);
      for (const i of opens.get(p) ?? []) active.add(i);
      this.starts.push(toKey(p));
      this.covering.push([...active].sort((a, b) => a - b).map((i) => entries[i]));
    }
  }

  /** The rules' ranges that hold the address, most specific first (empty: no rule covers it). */
  private entriesFor(ip: string): Entry[] {
    const canonical = canonicalIp(ip);
    if (canonical === null) return [];
    const key = ipKey(canonical);
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? [] : this.covering[found];
  }

  /**
   * The owner of an address as such (host events): of the most specific rule holding it that names
   * one. No note: no rule decides a host event, and a rule's note speaks of the ports it names.
   */
  about(ip: string): { covered: boolean; owner: string | null } {
    const list = this.entriesFor(ip);
    return { covered: list.length > 0, owner: ownerOf(list, null) };
  }

  decide(ip: string, proto: Proto, port: number): Decision {
    return decideAmong(this.entriesFor(ip), proto, port);
  }

  /**
   * The policy as address regions, for the database to count and find violations itself: the
   * covered address ranges, and per owner the (address range, ports) boxes whose open ports break
   * the policy. Within a segment of the address space the decision can change only at a port where
   * some covering rule's range begins or ends, so one port per stretch between those points decides
   * the whole stretch.
   */
  regions(): PolicyRegions {
    const covered: IpRange[] = [];
    const byOwner = new Map<string | null, PolicyRegions['violating'][number]>();
    this.covering.forEach((list, i) => {
      if (list.length === 0) return;
      const lo = this.starts[i];
      const hi = i + 1 < this.starts.length ? toKey(toBig(this.starts[i + 1]) - 1n) : toKey(MAX_KEY);
      const last = covered[covered.length - 1];
      if (last && toBig(last.hi) + 1n === toBig(lo)) last.hi = hi;
      else covered.push({ lo, hi });
      for (const [owner, ports] of violatingPorts(list)) {
        const group = byOwner.get(owner) ?? byOwner.set(owner, { owner, boxes: [] }).get(owner)!;
        const prev = group.boxes[group.boxes.length - 1];
        if (prev && toBig(prev.hi) + 1n === toBig(lo) && JSON.stringify(prev.ports) === JSON.stringify(ports)) prev.hi = hi;
        else group.boxes.push({ lo, hi, ports });
      }
    });
    return { covered, violating: [...byOwner.values()] };
  }
}

function decideAmong(list: readonly Entry[], proto: Proto, port: number): Decision {
  if (list.length === 0) return { covered: false, allowed: false, reason: 'no policy', rule: null, owner: null, note: null };
  let best: Entry | null = null;
  let bestCount = 0;
  for (const e of list) {
    // Sorted by network size: once a rule matched, only rules of the same size can still beat it;
    // while none matched, the walk goes on to the wider networks.
    if (best && e.size > best.size) break;
    const p = portsOf(e.rule, proto);
    if (!p || (p.ranges && !portInRanges(p.ranges, port))) continue;
    if (!best || beats(e, p.count, best, bestCount)) {
      best = e;
      bestCount = p.count;
    }
  }
  const rule = best?.rule ?? null;
  const allowed = rule?.action === 'allow';
  return {
    covered: true,
    allowed,
    reason: !rule ? 'not allowed' : allowed ? 'allowed' : 'denied',
    rule,
    owner: ownerOf(list, rule),
    // Only the deciding rule's note: a covering rule that does not name this port speaks of other ports.
    note: rule ? rule.note : null,
  };
}

/** Per owner, per protocol, the port ranges a segment covered by `list` does not allow (merged, ascending). */
function violatingPorts(list: readonly Entry[]): Map<string | null, PortScope> {
  const out = new Map<string | null, PortScope>();
  for (const proto of PROTOS) {
    const cuts = new Set<number>([0]);
    for (const e of list) {
      for (const r of portsOf(e.rule, proto)?.ranges ?? []) {
        cuts.add(r.lo);
        if (r.hi < ALL_PORTS - 1) cuts.add(r.hi + 1);
      }
    }
    const starts = [...cuts].sort((a, b) => a - b);
    starts.forEach((lo, i) => {
      const d = decideAmong(list, proto, lo);
      if (d.allowed) return;
      const hi = i + 1 < starts.length ? starts[i + 1] - 1 : ALL_PORTS - 1;
      const scope = out.get(d.owner) ?? out.set(d.owner, {}).get(d.owner)!;
      const ranges = (scope[proto] ??= []);
      const last = ranges[ranges.length - 1];
      if (last && last.hi + 1 === lo) last.hi = hi;
      else ranges.push({ lo, hi });
    });
  }
  return out;
}

/** The full order of docs/target-state.md: is `a` more specific than `b`? */
function beats(a: Entry, aCount: number, b: Entry, bCount: number): boolean {
  if (a.size !== b.size) return a.size < b.size;
  if (aCount !== bCount) return aCount < bCount;
  const aAny = a.rule.proto === 'any';
  if (aAny !== (b.rule.proto === 'any')) return !aAny;
  if (a.rule.action !== b.rule.action) return a.rule.action === 'deny';
  return a.rule.index < b.rule.index;
}

function ownerOf(list: readonly Entry[], rule: PolicyRule | null): string | null {
  return rule?.owner ?? list.find((e) => e.rule.owner !== null)?.rule.owner ?? null;
}
