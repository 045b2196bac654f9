// One output agent's run (DESIGN §4): claim → build the batch → deliver → mark. No database lock is
// held while it delivers; the claims carry a lease that is renewed while a long delivery runs.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connection';
import { claimChanges, finishClaims, renewLease, type ClaimedChange, type Decision, type KeyedChange } from '../db/delivery-repo';
import { describeChange } from '../common/describe';
import { groupOf, type ListedGroups } from '../common/scanner-groups';
import type { Proto } from '../common/types';
import type { AgentConfig } from './config-schema';
import { decideDuplicates } from './duplicates';
import { byKind } from './registry';
import type { ChangeBatch, DeliveryDeps, Disagreement, Policy, PolicyVerdict, ReportChange } from './types';

/** A crashed run's claims are taken over this long after their last renewal. */
export const LEASE_MS = 5 * 60_000;
const RENEW_MS = 60_000;

export const NO_VERDICT: PolicyVerdict = Object.freeze({ expected: null, owner: null, note: null });

export interface AgentResult {
  agent: string;
  kind: string;
  status: 'ok' | 'failed' | 'dry-run';
  /** Changes sent in this run (including the confirming ones). */
  delivered: number;
  /** Of the delivered ones: listed as confirming a change the target group already got. */
  confirmed: number;
  /** Target-group repeats recorded as suppressed (duplicates: suppress). */
  suppressed: number;
  /** only_unexpected: changes the policy expects, recorded as suppressed. */
  expected: number;
  /** Claimed but not delivered because the delivery failed: the next run retries them. */
  retry: number;
  error?: string;
  /** --dry-run: what the agent would take. */
  would?: DryRunItem[];
}

export interface DryRunItem {
  id: number;
  ip: string;
  hostname: string | null;
  scanner: string;
  text: string;
  /** deliver | confirms | duplicate | expected */
  action: 'deliver' | 'confirms' | 'duplicate' | 'expected';
  /** For confirms and duplicate: the change it repeats. */
  of?: number;
}

export interface AgentRunEnv {
  db: Db;
  policy: Policy | null;
  deps: DeliveryDeps;
  /** The scanner-group disagreements an agent with include_disagreements gets (wired by the caller). */
  disagreements(agent: AgentConfig): Promise<Disagreement[]>;
}

export const emptyResult = (agent: AgentConfig, status: AgentResult['status']): AgentResult => ({
  agent: agent.name, kind: agent.kind, status, delivered: 0, confirmed: 0, suppressed: 0, expected: 0, retry: 0,
});

export function verdictOf(policy: Policy | null, c: { ip: string; proto: string | null; port: number | null; type: number }): PolicyVerdict {
  return policy ? policy.judge({ ip: c.ip, proto: c.proto as Proto | null, port: c.port, type: c.type }) : NO_VERDICT;
}

/** The claim's decisions for one agent: target-group repeats and, with only_unexpected, expected changes. */
export function decider(agent: AgentConfig, policy: Policy | null) {
  return (fresh: KeyedChange[], known: KeyedChange[]) =>
    decideDuplicates(fresh, known, {
      targetGroup: agent.targetGroup,
      duplicates: agent.duplicates,
      windowMs: agent.duplicateWindowMs,
      isExpected: (c) => agent.onlyUnexpected && verdictOf(policy, c).expected === true,
    });
}

export function countDecisions(result: AgentResult, decisions: Map<number, Decision>): void {
  for (const d of decisions.values()) {
    if ('status' in d) result[d.reason === 'expected' ? 'expected' : 'suppressed']++;
  }
}

/** `group` is the scanner's group in the current config (common/scanner-groups.ts), as the filter has it. */
export function reportChange(c: ClaimedChange, policy: Policy | null, listed: ListedGroups = {}): ReportChange {
  return { ...c, group: groupOf(c.scanner, c.group, listed), text: describeChange(c), policy: verdictOf(policy, c) };
}

export async function runAgent(agent: AgentConfig, env: AgentRunEnv): Promise<AgentResult> {
  const result = emptyResult(agent, 'ok');
  const kind = byKind(agent.kind)!;
  const token = randomBytes(16).toString('hex');
  const nowMs = env.deps.now().getTime();
  const { changes, decisions } = await claimChanges(
    env.db,
    { agent: agent.name, targetGroup: agent.targetGroup, filter: agent.filter, token, nowMs, leaseUntilMs: nowMs + LEASE_MS },
    decider(agent, env.policy),
  );
  countDecisions(result, decisions);
  // Nothing new, nothing sent: disagreements alone are a standing condition, not news.
  if (changes.length === 0) return result;
  const batch: ChangeBatch = {
    agent: agent.name,
    targetGroup: agent.targetGroup,
    changes: changes.map((c) => reportChange(c, env.policy, agent.filter.listedGroups)),
    disagreements: agent.includeDisagreements ? await env.disagreements(agent) : [],
    generatedAt: env.deps.now(),
  };
  const renew = setInterval(() => {
    renewLease(env.db.knex, token, env.deps.now().getTime() + LEASE_MS).catch((e: Error) => env.deps.log(`could not renew the claim: ${e.message}`));
  }, RENEW_MS);
  renew.unref();
  try {
    await kind.deliver(batch, agent.options, env.deps);
    clearInterval(renew);
    await finishClaims(env.db.knex, token, env.deps.now().getTime());
    result.delivered = changes.length;
    result.confirmed = changes.filter((c) => c.confirms !== null).length;
  } catch (e) {
    clearInterval(renew);
    const done = new Set((e as { deliveredIds?: number[] }).deliveredIds ?? []);
    await finishClaims(env.db.knex, token, env.deps.now().getTime(), [...done]);
    result.status = 'failed';
    result.error = (e as Error).message;
    result.delivered = changes.filter((c) => done.has(c.id)).length;
    result.confirmed = changes.filter((c) => done.has(c.id) && c.confirms !== null).length;
    result.retry = changes.length - result.delivered;
  }
  return result;
}
