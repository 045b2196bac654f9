// `report` (and later `run`): every selected output agent, one after the other. One agent failing
// does not stop the others; each result says what happened, the caller turns them into an exit code.
import { UsageError } from '../common/errors';
import type { Db } from '../db/connection';
import { countWaiting, previewClaim, type KeyedChange } from '../db/delivery-repo';
import { databaseError } from '../db/db-errors';
import { listDisagreements, scannerGroups } from '../db/disagreement-repo';
import type { AgentConfig } from './config-schema';
import { loadPolicy, policyPath } from './policy';
import { countDecisions, decider, emptyResult, reportChange, runAgent, runFilter, type AgentResult, type AgentRunEnv, type DryRunItem } from './run-agent';
import type { DeliveryDeps, Policy, SmtpSettings } from './types';
import type { Disagreement, DualStackPair } from '../common/types';
import { familyDisagreements } from './family-in-reports';
import { listedGroups } from '../common/scanner-groups';

/** The part of the configuration the output agents read; config/config.ts composes the whole. */
export interface ReportConfig {
  output_agents: AgentConfig[];
  smtp?: SmtpSettings;
  policy?: string;
  scanners: Readonly<Record<string, { group?: string }>>;
  /** IPv4 and IPv6 addresses of one host, for the dual-stack disagreements (config/config.ts). */
  dual_stack?: readonly DualStackPair[];
}

export type { AgentResult } from './run-agent';

export interface RunOutputAgentsOptions {
  /** Agent names (each must exist); empty or absent: every configured agent. */
  agents?: string[];
  dryRun?: boolean;
  /** The target-state policy (output-agents/policy.ts); null: every verdict is unknown. */
  policy: Policy | null;
  /** Progress and warnings for people (stderr); each line is prefixed with the agent's name. */
  log(line: string): void;
  now?: () => Date;
  /** Scanner-group disagreements for agents with include_disagreements (none until wired). */
  disagreements?: (agent: AgentConfig) => Promise<Disagreement[]>;
}

/** The agents to run, in config order; an unknown name is a usage error (exit 2). */
function selectAgents(config: ReportConfig, names: string[] | undefined): AgentConfig[] {
  const all = config.output_agents;
  if (!names?.length) return all;
  const unknown = names.filter((n) => !all.some((a) => a.name === n));
  if (unknown.length) {
    throw new UsageError(
      `--agent: no output agent named ${unknown.map((n) => `'${n}'`).join(', ')}`,
      all.length ? `configured agents: ${all.map((a) => a.name).join(', ')}` : 'no output agents are configured: add output_agents to the configuration (docs/output-agents.md)',
    );
  }
  return all.filter((a) => names.includes(a.name));
}

const smtpSettings = (config: ReportConfig): SmtpSettings | undefined => config.smtp;

/**
 * What `report` and `run` both do: the configured policy (its file checked before anything is
 * claimed) and the scanner-group disagreements for agents that include them, within the agent's
 * networks and the groups of its scanner_groups (else of its scanners, else all), with the
 * dual-stack disagreements of the same scanners (family-in-reports.ts).
 */
export async function runConfiguredAgents(
  ctx: { config: ReportConfig; configFile: string | null; db: Db },
  opts: Pick<RunOutputAgentsOptions, 'agents' | 'dryRun' | 'log' | 'now'>,
): Promise<AgentResult[]> {
  const file = policyPath(ctx.config.policy, ctx.configFile);
  const policy = file ? loadPolicy(file) : null;
  const disagreements = async (agent: AgentConfig): Promise<Disagreement[]> => {
    try {
      const listed = listedGroups(ctx.config);
      const base = { networks: agent.filter.networks, listed };
      const { scannerGroups: named, scanners } = agent.filter;
      const family = (only: readonly string[] | null) => familyDisagreements(ctx.db.knex, { pairs: ctx.config.dual_stack, networks: agent.filter.networks, scanners: only });
      if (!named?.length && !scanners?.length) return [...(await listDisagreements(ctx.db.knex, base)), ...(await family(null))];
      const known = await scannerGroups(ctx.db.knex, listed);
      // The groups the agent's changes come from: those it names, else those of its scanners.
      const groups = [...known].filter(([g, members]) => (named?.length ? named.includes(g) : members.some((m) => scanners!.includes(m.name))));
      const own = named?.length ? groups.flatMap(([, members]) => members.map((m) => m.name)) : scanners!;
      return [...(await Promise.all(groups.map(([group]) => listDisagreements(ctx.db.knex, { ...base, group })))).flat(), ...(await family(own))];
    } catch (e) {
      throw databaseError('could not read the scanner-group disagreements', e);
    }
  };
  return runOutputAgents(ctx, { ...opts, policy, disagreements });
}

export async function runOutputAgents(ctx: { config: ReportConfig; db: Db }, opts: RunOutputAgentsOptions): Promise<AgentResult[]> {
  const agents = selectAgents(ctx.config, opts.agents);
  const now = opts.now ?? (() => new Date());
  const results: AgentResult[] = [];
  // --dry-run records nothing, so what one agent would send is remembered here for the agents of
  // its target group that come after it.
  const wouldSend = new Map<string, KeyedChange[]>();
  for (const agent of agents) {
    const deps: DeliveryDeps = { smtp: smtpSettings(ctx.config), log: (line) => opts.log(`${agent.name}: ${line}`), now };
    const env: AgentRunEnv = { db: ctx.db, policy: opts.policy, deps, disagreements: opts.disagreements ?? (async () => []) };
    try {
      results.push(opts.dryRun ? await dryRun(agent, env, wouldSend) : await runAgent(agent, env));
    } catch (e) {
      const err = databaseError(opts.dryRun ? 'could not read what it would take' : 'could not claim changes', e);
      results.push({ ...emptyResult(agent, 'failed'), error: err.message, remedy: err.remedy });
    }
  }
  return results;
}

async function dryRun(agent: AgentConfig, env: AgentRunEnv, wouldSend: Map<string, KeyedChange[]>): Promise<AgentResult> {
  const result = emptyResult(agent, 'dry-run');
  const nowMs = env.deps.now().getTime();
  const filter = runFilter(agent, nowMs);
  const preview = await previewClaim(env.db.knex, {
    agent: agent.name, targetGroup: agent.targetGroup, filter, windowMs: agent.duplicateWindowMs, limit: agent.maxChanges, nowMs,
  });
  if (preview.changes.length >= agent.maxChanges) result.waiting = (await countWaiting(env.db.knex, agent.name, filter, nowMs)) - preview.changes.length;
  const group = agent.targetGroup;
  const decisions = decider(agent, env.policy)(preview.fresh, [...preview.known, ...(group ? wouldSend.get(group) ?? [] : [])]);
  countDecisions(result, decisions);
  if (group) wouldSend.set(group, [...(wouldSend.get(group) ?? []), ...preview.fresh.filter((c) => !decisions.has(c.change_id))]);
  result.would = preview.changes.map((c): DryRunItem => {
    const d = decisions.get(c.id);
    const item: DryRunItem = { id: c.id, ip: c.ip, hostname: c.hostname, scanner: c.scanner, text: reportChange(c, env.policy).text, action: 'deliver' };
    if (c.baseline && !agent.includeBaseline) return { ...item, action: 'baseline' };
    if (d && 'confirms' in d) return { ...item, action: 'confirms', of: d.confirms };
    if (d) return { ...item, action: d.reason, of: d.of };
    return item;
  });
  result.delivered = result.would.filter((w) => w.action === 'deliver' || w.action === 'confirms').length;
  result.confirmed = result.would.filter((w) => w.action === 'confirms').length;
  result.baseline = result.would.filter((w) => w.action === 'baseline').length;
  return result;
}
