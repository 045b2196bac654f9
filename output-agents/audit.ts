// `audit`: today's open ports held against the target-state policy. A port breaks the policy when a
// deny rule decides it, or when its address lies in a network the policy documents and no rule
// allows it; ports on addresses no rule covers are only counted.
import type { Knex } from 'knex';
import type { IpRange, Proto } from '../common/types';
import { auditCounts, openPortGroups, violationPredicate, type OpenPortGroup } from '../db/audit-repo';
import type { TargetPolicy } from './policy';

interface Violation {
  ip: string;
  proto: Proto;
  port: number;
  hostname: string | null;
  scanners: string[];
  owner: string | null;
  note: string | null;
  reason: 'denied' | 'not allowed';
  /** Where the deciding rule stands in the policy file; null when no rule names the port. */
  rule: string | null;
}

export interface AuditResult {
  violations: Violation[];
  /** Open (ip, proto, port) looked at. */
  checked: number;
  /** Of those, on addresses no rule covers. */
  uncovered: number;
}

/**
 * Every open port held against the policy. With `keep` (a page of the dashboard), only the
 * violations at [offset, offset + limit) are kept and `total` counts them all, so memory does not
 * grow with the state; without it, every violation is kept.
 */
export async function audit(knex: Knex, policy: TargetPolicy, filter: { scanner?: string; networks?: IpRange[] }, keep?: { offset: number; limit: number }): Promise<AuditResult & { total: number }> {
  const result: AuditResult & { total: number } = { violations: [], checked: 0, uncovered: 0, total: 0 };
  for await (const g of openPortGroups(knex, filter)) {
    result.checked++;
    const v = violation(policy, g);
    if (v === 'uncovered') result.uncovered++;
    else if (v) {
      const i = result.total++;
      if (keep && (i < keep.offset || i >= keep.offset + keep.limit)) continue;
      result.violations.push(v);
    }
  }
  return result;
}

function violation(policy: TargetPolicy, g: OpenPortGroup): Violation | 'uncovered' | null {
  const d = policy.check(g.ip, g.proto, g.port);
  if (!d.covered) return 'uncovered';
  if (d.allowed) return null;
  return {
    ip: g.ip,
    proto: g.proto,
    port: g.port,
    hostname: g.hostname,
    scanners: g.scanners,
    owner: d.owner,
    note: d.note,
    reason: d.reason === 'denied' ? 'denied' : 'not allowed',
    rule: d.rule?.where ?? null,
  };
}

export interface AuditTotals {
  checked: number;
  uncovered: number;
  /** Violations in all. */
  total: number;
  /** Per owner (null: none), the violations, most first. */
  owners: Array<{ owner: string | null; n: number }>;
}

const byCount = (m: Map<string | null, number>): AuditTotals['owners'] =>
  [...m].map(([owner, n]) => ({ owner, n })).sort((a, b) => b.n - a.n || String(a.owner ?? '').localeCompare(String(b.owner ?? '')));

/**
 * The dashboard's counts. The database counts them itself from the policy compiled to address and
 * port boxes, in one pass over the open ports; a policy too large for that is checked in memory.
 */
export async function auditTotals(knex: Knex, policy: TargetPolicy, filter: { scanner?: string; networks?: IpRange[] }): Promise<AuditTotals> {
  const counts = await auditCounts(knex, policy.regions(), filter);
  if (counts) return { checked: counts.checked, uncovered: counts.uncovered, total: counts.owners.reduce((n, o) => n + o.n, 0), owners: byCount(new Map(counts.owners.map((o) => [o.owner, o.n]))) };
  const all = await audit(knex, policy, filter);
  const owners = new Map<string | null, number>();
  for (const v of all.violations) owners.set(v.owner, (owners.get(v.owner) ?? 0) + 1);
  return { checked: all.checked, uncovered: all.uncovered, total: all.total, owners: byCount(owners) };
}

/**
 * One page of violations, for the dashboard: the database reads only the open ports the policy
 * does not allow (the policy as SQL boxes), so a page costs its rows and those before it, not the
 * open ports the policy allows; a policy too large for that is checked in memory.
 */
export async function auditRows(knex: Knex, policy: TargetPolicy, filter: { scanner?: string; networks?: IpRange[] }, keep: { offset: number; limit: number }): Promise<Violation[]> {
  const where = violationPredicate(policy.regions());
  if (!where) return (await audit(knex, policy, filter, keep)).violations;
  const violations: Violation[] = [];
  let i = 0;
  for await (const g of openPortGroups(knex, filter, where, keep.offset + keep.limit)) {
    if (i++ < keep.offset) continue;
    const v = violation(policy, g);
    if (v && v !== 'uncovered') violations.push(v);
    if (violations.length >= keep.limit) break;
  }
  return violations;
}
