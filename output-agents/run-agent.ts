// One output agent's run (DESIGN §4): claim → build the batch → deliver → mark. No database lock is
// held while it delivers; the claims carry a lease that is renewed while a long delivery runs.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connection';
import { claimChanges, countWaiting, type ClaimedChange, type Decision, type DeliveryFilter, type KeyedChange } from '../db/delivery-repo';
import { databaseError, databaseReason, databaseRemedy } from '../db/db-errors';
import { describeChange } from '../common/describe';
import { groupOf, type ListedGroups } from '../common/scanner-groups';
import { DeliveryError, type PortdeltaError } from '../common/errors';
import { ClaimRecorder, LEASE_MS } from './claim-record';
import { sinceMs, type AgentConfig } from './config-schema';
import { decideDuplicates } from './duplicates';
import { baselineCommand, baselineText, splitListed } from './overview';
import { baselineCounts, markUnlisted } from '../db/baseline-repo';
import { hostsSeenInScans } from '../db/host-seen-repo';
import { byKind } from './registry';
import type { ChangeBatch, DeliveryDeps, Policy, ReportChange } from './types';
import { verdictOf } from './change-verdict';
import type { Disagreement } from '../common/types';

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
  /** Baseline changes delivered as a summary per scanner (not counted in `delivered`). */
  baseline: number;
  /** Claimed but not delivered because the delivery failed: the next run retries them. */
  retry: number;
  /** Sent, but recording that failed: they stay claimed and may be sent again after the lease. */
  unrecorded: number;
  /** Changes this agent would take that are left for the next run (max_changes). */
  waiting: number;
  error?: string;
  /** What the operator can do about the error. */
  remedy?: string;
  /** --dry-run: what the agent would take. */
  would?: DryRunItem[];
}

export interface DryRunItem {
  id: number;
  ip: string | null;
  hostname: string | null;
  scanner: string;
  text: string;
  /** deliver | confirms | duplicate | expected | baseline (sent in its scanner's summary) */
  action: 'deliver' | 'confirms' | 'duplicate' | 'expected' | 'baseline';
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
  agent: agent.name, kind: agent.kind, status, delivered: 0, baseline: 0, confirmed: 0, suppressed: 0, expected: 0, retry: 0, unrecorded: 0, waiting: 0,
});


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

/** The agent's filter for a run at `nowMs`: its own filters and its `since`. */
export const runFilter = (agent: AgentConfig, nowMs: number): DeliveryFilter => ({ ...agent.filter, detectedFrom: sinceMs(agent.since, nowMs) });

/** The run's claimed baseline changes as one summary per scanner. */
type Baselines = NonNullable<ChangeBatch['baselines']>;

async function baselineSummaries(db: Db, token: string): Promise<Baselines> {
  const counts = await baselineCounts(db.knex, token).catch((e) => {
    throw databaseError('could not count the baseline changes', e);
  });
  return counts.map((b) => ({ baseline: true as const, ...b, text: baselineText(b), command: baselineCommand(b.scanner) }));
}

/** The run's batch; the changes a report will not list (max_listed) are marked for `changes --report RUN --unlisted`. */
async function buildBatch(agent: AgentConfig, env: AgentRunEnv, token: string, changes: ClaimedChange[], baselines: Baselines): Promise<ChangeBatch> {
  const batch: ChangeBatch = {
    agent: agent.name,
    targetGroup: agent.targetGroup,
    changes: changes.map((c) => reportChange(c, env.policy, agent.filter.listedGroups)),
    baselines,
    maxListed: agent.maxListed,
    run: token,
    disagreements: agent.includeDisagreements ? await env.disagreements(agent) : [],
    generatedAt: env.deps.now(),
  };
  const { unlisted } = splitListed(batch.changes, agent.maxListed);
  if (unlisted.length) await markUnlisted(env.db, token, unlisted.map((c) => c.id));
  return batch;
}

/** `sent`: the ids a failed delivery got out (undefined: it succeeded, everything went out). */
function countSent(result: AgentResult, changes: ClaimedChange[], baselines: Baselines, sent: number[] | undefined): void {
  const baselineIds = baselines.flatMap((b) => b.change_ids);
  const done = new Set(sent ?? [...changes.map((c) => c.id), ...baselineIds]);
  result.delivered = changes.filter((c) => done.has(c.id)).length;
  result.confirmed = changes.filter((c) => done.has(c.id) && c.confirms !== null).length;
  result.baseline = baselineIds.filter((id) => done.has(id)).length;
  result.retry = changes.length - result.delivered + baselineIds.length - result.baseline;
}

export async function runAgent(agent: AgentConfig, env: AgentRunEnv): Promise<AgentResult> {
  const result = emptyResult(agent, 'ok');
  const kind = byKind(agent.kind)!;
  const token = randomBytes(16).toString('hex');
  const clock = () => env.deps.now().getTime();
  const filter = runFilter(agent, clock());
  const { changes, decisions } = await claimChanges(
    env.db,
    {
      agent: agent.name, targetGroup: agent.targetGroup, filter, token, windowMs: agent.duplicateWindowMs, limit: agent.maxChanges, now: clock, leaseMs: LEASE_MS,
      summarizeBaseline: !agent.includeBaseline,
    },
    decider(agent, env.policy),
  ).catch((e) => {
    throw databaseError(`could not claim changes in the database ${env.db.where}`, e, env.db);
  });
  countDecisions(result, decisions);
  const baselines = agent.includeBaseline ? [] : await baselineSummaries(env.db, token);
  // The lease is renewed from here on, whatever comes before the delivery.
  const recorder = changes.length || baselines.length ? new ClaimRecorder(env.db, token, clock, env.deps.log) : null;
  if (changes.length + result.suppressed + result.expected >= agent.maxChanges) {
    result.waiting = await countWaiting(env.db.knex, agent.name, filter, clock()).catch((e) => {
      env.deps.log(`could not count the changes left for the next run: ${databaseReason(e)}`);
      return 0;
    });
  }
  // Nothing new, nothing sent: disagreements alone are a standing condition, not news.
  if (!recorder) return result;
  let sent: number[] | undefined;
  let failure: unknown;
  try {
    const batch = await buildBatch(agent, env, token, changes, baselines);
    await kind.deliver(batch, agent.options, { ...env.deps, progress: recorder.progress, hostsSeen: (ids) => hostsSeenInScans(env.db.knex, ids, agent.filter.networks) });
  } catch (e) {
    failure = e;
    sent = e instanceof DeliveryError ? e.deliveredIds : [];
  }
  countSent(result, changes, baselines, sent);
  if (failure) {
    result.status = 'failed';
    result.error = (failure as Error).message;
    result.remedy = (failure as PortdeltaError).remedy;
  }
  try {
    await recorder.finish(sent);
  } catch (e) {
    // Deleting these claims would send them all again on the next run; left as they are, they are
    // sent again only if the lease runs out before anything else records them.
    result.status = 'failed';
    if (result.delivered === 0 && result.baseline === 0) {
      result.error = `${result.error}; giving the claims back failed too (${env.db.where}: ${databaseReason(e, env.db)}): they are retried once their lease has run out`;
      result.remedy ??= databaseRemedy(e, env.db);
      return result;
    }
    result.unrecorded = result.delivered + result.baseline;
    const why = `sent, but not recorded in the database ${env.db.where}: ${databaseReason(e, env.db)}`;
    result.error = failure ? `${result.error}; what went out before it was ${why}` : why;
    result.remedy = `${result.unrecorded} of the changes went out but are not recorded as delivered: they stay claimed, `
      + `and after the lease runs out (${LEASE_MS / 60_000} minutes) the next run may send them again. ${databaseRemedy(e, env.db)}`;
  }
  return result;
}
