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

function memoOf(knex: Knex, policy: TargetPolicy): Map<string, Promise<Answer>> {
  const perDb = memos.get(knex) ?? memos.set(knex, new WeakMap()).get(knex)!;
  return perDb.get(policy) ?? perDb.set(policy, new Map()).get(policy)!;
}

function kept<T extends Answer>(memo: Map<string, Promise<Answer>>, key: string, compute: () => Promise<T>): Promise<T> {
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

/** The counts and one page of violations, both as of one version of the open ports (read once). */
export async function auditNow(knex: Knex, policy: TargetPolicy, f: Filter, keep: { offset: number; limit: number }): Promise<{ totals: AuditTotals; rows: Awaited<ReturnType<typeof auditRows>> }> {
  const memo = memoOf(knex, policy);
  const scope = JSON.stringify([await openPortsVersion(knex), f.scanner ?? null, f.networks ?? null]);
  const totals = await kept(memo, `totals ${scope}`, () => auditTotals(knex, policy, f));
  // no violation at or after the offset: nothing to look for (with few violations the look reads every open port)
  if (totals.total <= keep.offset) return { totals, rows: [] };
  return { totals, rows: await kept(memo, `rows ${scope} ${keep.offset} ${keep.limit}`, () => auditRows(knex, policy, f, keep)) };
}
