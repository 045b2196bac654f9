// The target-state policy's verdict on one stored change, as the output agents judge it (a change
// the policy expects, one it does not, or one no rule speaks about), and the change log filtered by
// that verdict for `changes --verdict` and the dashboard's Changes page. The verdict is the
// policy's: said in SQL when the policy can be (policy-match.ts regions), else the rows of the other
// filters are read in batches and judged here.
import type { Knex } from 'knex';
import { listChanges } from '../db/query-repo';
import { verdictPredicate } from '../db/audit-repo';
import { ChangeType, type ChangeFilter, type ChangeRow, type Proto } from '../common/types';
import { UsageError } from '../common/errors';
import type { Policy, PolicyVerdict } from './types';

const NO_VERDICT: PolicyVerdict = Object.freeze({ expected: null, owner: null, note: null });

/** The policy's verdict on a change; a scanner event has no address, so no policy rule speaks about it. */
export function verdictOf(policy: Policy | null, c: { ip: string | null; proto: string | null; port: number | null; type: number }): PolicyVerdict {
  return policy && c.ip ? policy.judge({ ip: c.ip, proto: c.proto as Proto | null, port: c.port, type: c.type }) : NO_VERDICT;
}

/** expected: the policy expects it; unexpected: it breaks the policy; none: no rule speaks about it. */
export const VERDICTS = ['expected', 'unexpected', 'none'] as const;
export type Verdict = (typeof VERDICTS)[number];

export function verdictName(v: PolicyVerdict): Verdict {
  return v.expected === null ? 'none' : v.expected ? 'expected' : 'unexpected';
}

/** Only these change types ever get a verdict (policy.ts: opening and closing a port). */
const OPENING = ChangeType.new_port | ChangeType.port_reopened;
const JUDGED = OPENING | ChangeType.port_closed;
const BATCH = 5000;

/**
 * The changes `f` selects whose verdict is `verdict`, in `f`'s order; `f.limit` and `f.offset`
 * count the matching rows. Without a type filter, expected and unexpected read only the judged types.
 */
export async function listChangesByVerdict(knex: Knex, f: ChangeFilter, policy: Policy | null, verdict: Verdict): Promise<ChangeRow[]> {
  // Said in SQL, the database skips the rows before a deep page itself; without a policy every change has no verdict.
  const typeMask = f.typeMask ?? (verdict === 'none' ? undefined : JUDGED);
  const where = policy?.regions ? verdictPredicate(policy.regions(), verdict, { opening: OPENING, closing: ChangeType.port_closed }) : null;
  if (where) return listChanges(knex, { ...f, where, typeMask });
  const base: ChangeFilter = { ...f, typeMask, limit: BATCH };
  const out: ChangeRow[] = [];
  let skip = f.offset ?? 0;
  for (let offset = 0; ; offset += BATCH) {
    const rows = await listChanges(knex, { ...base, offset });
    for (const r of rows) {
      if (verdictName(verdictOf(policy, r)) !== verdict) continue;
      if (skip > 0) skip--;
      else out.push(r);
      if (f.limit !== undefined && out.length >= f.limit) return out;
    }
    if (rows.length < BATCH) return out;
  }
}

/** `--verdict` / `verdict=`: one of VERDICTS, or undefined when not given. */
export function verdictOption(value: string | undefined, flag: string): Verdict | undefined {
  if (value === undefined) return undefined;
  const v = VERDICTS.find((x) => x === value.trim().toLowerCase());
  if (!v) throw new UsageError(`${flag}: '${value}' is not a policy verdict`, `give one of ${VERDICTS.join(', ')}`);
  return v;
}
