// `audit`: today's open ports held against the target-state policy. A port breaks the policy when a
// deny rule decides it, or when its address lies in a network the policy documents and no rule
// allows it; ports on addresses no rule covers are only counted.
import type { Knex } from 'knex';
import type { IpRange, Proto } from '../common/types';
import { openPortGroups } from '../db/audit-repo';
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
    const d = policy.check(g.ip, g.proto, g.port);
    if (!d.covered) result.uncovered++;
    else if (!d.allowed) {
      const i = result.total++;
      if (keep && (i < keep.offset || i >= keep.offset + keep.limit)) continue;
      result.violations.push({
        ip: g.ip,
        proto: g.proto,
        port: g.port,
        hostname: g.hostname,
        scanners: g.scanners,
        owner: d.owner,
        note: d.note,
        reason: d.reason === 'denied' ? 'denied' : 'not allowed',
        rule: d.rule?.where ?? null,
      });
    }
  }
  return result;
}
