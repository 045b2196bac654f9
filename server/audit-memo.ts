// The dashboard's audit answers, kept per version of the open ports: holding a /12's million open
// ports against the policy is a pass of the database (output-agents/audit.ts), and the answer
// cannot change until an ingest or a cleanup changes what is open (db/audit-repo.ts
// openPortsVersion), so the Overview and every page of Audit pay for it once per night, not once
// per request. The policy belongs to serve's configuration and may be edited without any ingest,
// which is why this is kept here and not counted at ingest.
import type { Knex } from 'knex';
import type { IpRange } from '../common/types';
import { openPortsVersion } from '../db/audit-repo';
import { auditRows, auditTotals, type AuditTotals } from '../output-agents/audit';
import type { TargetPolicy } from '../output-agents/policy';

type Filter = { scanner?: string; networks?: IpRange[] };
type Answer = AuditTotals | Awaited<ReturnType<typeof auditRows>>;

/** Answers kept per database and policy; the oldest goes first. A page is at most a few dozen rows. */
const KEPT = 64;
const memos = new WeakMap<Knex, WeakMap<TargetPolicy, Map<string, Promise<Answer>>>>();

async function kept<T extends Answer>(knex: Knex, policy: TargetPolicy, what: unknown[], compute: () => Promise<T>): Promise<T> {
  const perDb = memos.get(knex) ?? memos.set(knex, new WeakMap()).get(knex)!;
  const memo = perDb.get(policy) ?? perDb.set(policy, new Map()).get(policy)!;
  const key = JSON.stringify([await openPortsVersion(knex), ...what]);
  let answer = memo.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = compute();
    memo.set(key, answer);
    // a failed read is not kept: the next request tries again
    answer.catch(() => memo.delete(key));
    if (memo.size > KEPT) memo.delete(memo.keys().next().value!);
  }
  return answer;
}

const scopeKey = (f: Filter): unknown[] => [f.scanner ?? null, f.networks ?? null];

export function auditTotalsNow(knex: Knex, policy: TargetPolicy, f: Filter): Promise<AuditTotals> {
  return kept(knex, policy, ['totals', ...scopeKey(f)], () => auditTotals(knex, policy, f));
}

export function auditRowsNow(knex: Knex, policy: TargetPolicy, f: Filter, keep: { offset: number; limit: number }): ReturnType<typeof auditRows> {
  return kept(knex, policy, ['rows', ...scopeKey(f), keep.offset, keep.limit], () => auditRows(knex, policy, f, keep));
}
