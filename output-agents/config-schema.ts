// `output_agents` in the configuration (DESIGN §5): the keys every agent has, then the kind's own
// options (the rest of the entry) checked by the kind. Every problem is reported with its path
// (`output_agents.1.command: …`) together with the rest of the file's problems.
import { z } from 'zod';
import { duration, listOf, parsed, portSpec, protoList, targetList } from '../common/config-fields';
import { parseTypeMask } from '../common/change-mask';
import { DURATION_HINT, parseDuration } from '../common/duration';
import { listedGroups } from '../common/scanner-groups';
import { PROTOS } from '../common/types';
import type { DeliveryFilter } from '../db/delivery-repo';
import { byKind, kindNames } from './registry';
import type { OptionsContext } from './types';

const nameList = listOf(z.string().min(1));

const commonKeys = z.object({
  name: z.string().max(200).regex(/^[A-Za-z0-9_.-]+$/, 'agent names use letters, digits, . _ -'),
  kind: z.string().min(1),
  target_group: z.string().min(1).max(200).optional(),
  types: z.union([z.number(), z.string(), z.array(z.string())]).transform(parsed(parseTypeMask)).optional(),
  networks: targetList.optional(),
  scanners: nameList.optional(),
  scanner_groups: nameList.optional(),
  // In a filter a port without T:/U:/S: means that port on every protocol.
  ports: portSpec(PROTOS).optional(),
  protos: protoList.optional(),
  duplicates: z.enum(['suppress', 'confirm']).default('suppress'),
  duplicate_window: duration.default('24h'),
  only_unexpected: z.boolean().default(false),
  include_disagreements: z.boolean().default(false),
  max_changes: z.number().int().min(1).default(10_000),
  // Absent: the kind's own default (OutputAgent.baselineChanges).
  include_baseline: z.boolean().optional(),
  max_listed: z.number().int().min(0).default(500),
  // YAML 1.1 readers turn an unquoted 2025-03-01 into a date; take that as well as the text.
  since: z.union([z.string(), z.date()]).transform(parsed(parseSince)).optional(),
});
const COMMON = Object.keys(commonKeys.shape);

export type Since = { atMs: number } | { agoMs: number };

/** `since`: an ISO date or time (2025-03-01, 2025-03-01T06:00Z), or a duration back from each run (7d). */
function parseSince(v: string | Date): Since {
  if (v instanceof Date) return { atMs: v.getTime() };
  const agoMs = parseDuration(v);
  if (agoMs !== null) return { agoMs };
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ]([\d:.]+)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(v.trim());
  // Without a zone the time is UTC, like every time portdelta prints.
  const atMs = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? 'Z'}`) : NaN;
  if (Number.isNaN(atMs)) throw new TypeError(`'${v}' is neither a date (2025-03-01, 2025-03-01T06:00Z) nor a duration (${DURATION_HINT})`);
  return { atMs };
}

/** The first detection time an agent takes in a run at `nowMs`; undefined: no limit. */
export const sinceMs = (since: Since | null, nowMs: number): number | undefined =>
  since === null ? undefined : 'atMs' in since ? since.atMs : nowMs - since.agoMs;

/** One validated output agent. */
export interface AgentConfig {
  name: string;
  kind: string;
  targetGroup: string | null;
  filter: DeliveryFilter;
  duplicates: 'suppress' | 'confirm';
  duplicateWindowMs: number;
  onlyUnexpected: boolean;
  includeDisagreements: boolean;
  /** The most changes one run takes (lowest ids first); the rest wait for the next run. */
  maxChanges: number;
  /** Deliver a scanner's baseline (its first scan's changes) change by change instead of as one summary. */
  includeBaseline: boolean;
  /** The most changes a mail or text report lists; it counts the rest and names the command that lists them. */
  maxListed: number;
  /** Changes detected before this are not for the agent: a fixed time, or a time span back from each run. */
  since: Since | null;
  /** The kind's own options, as its parseOptions returned them. */
  options: unknown;
}

/** A kind's 'key.path: message' becomes an issue at that path inside the entry. */
function kindIssue(ctx: z.RefinementCtx, index: number, problem: string): void {
  const m = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): ([\s\S]*)$/.exec(problem);
  ctx.addIssue({ code: z.ZodIssueCode.custom, path: m ? [index, ...m[1].split('.')] : [index], message: m ? m[2] : problem });
}

function parseEntry(entry: unknown, index: number, ctx: z.RefinementCtx, options: OptionsContext): AgentConfig | null {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index], message: 'each output agent is a mapping with at least name and kind' });
    return null;
  }
  const raw = entry as Record<string, unknown>;
  const common = commonKeys.safeParse(raw);
  if (!common.success) for (const i of common.error.issues) ctx.addIssue({ ...i, path: [index, ...i.path] } as z.IssueData);
  const kind = typeof raw.kind === 'string' ? byKind(raw.kind) : undefined;
  if (typeof raw.kind === 'string' && raw.kind && !kind) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index, 'kind'], message: `unknown kind '${raw.kind}'; known kinds: ${kindNames().join(', ')}` });
  }
  if (!kind) return null;
  const own = kind.parseOptions(Object.fromEntries(Object.entries(raw).filter(([k]) => !COMMON.includes(k))), { ...options, entryKeys: COMMON });
  for (const problem of own.errors ?? []) kindIssue(ctx, index, problem);
  if (!common.success || own.errors) return null;
  const c = common.data;
  return {
    name: c.name,
    kind: c.kind,
    targetGroup: c.target_group ?? null,
    filter: { typeMask: c.types, networks: c.networks, scanners: c.scanners, scannerGroups: c.scanner_groups, ports: c.ports, protos: c.protos },
    duplicates: c.duplicates,
    duplicateWindowMs: c.duplicate_window,
    onlyUnexpected: c.only_unexpected,
    includeDisagreements: c.include_disagreements,
    maxChanges: c.max_changes,
    includeBaseline: c.include_baseline ?? kind.baselineChanges === true,
    maxListed: c.max_listed,
    since: c.since ?? null,
    options: own.value,
  };
}

/** `options.baseDir`: the configuration file's folder, where the agents' relative paths start. */
export const outputAgentsSchema = (options: OptionsContext) => z.array(z.unknown()).transform((entries, ctx): AgentConfig[] => {
  const agents = entries.map((e, i) => parseEntry(e, i, ctx, options));
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const name = (e as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `'${name}' is already the name of output_agents.${seen.get(name)}; names must be unique` });
    else seen.set(name, i);
  });
  return agents.every((a) => a) ? (agents as AgentConfig[]) : z.NEVER;
});

/**
 * The pass over the whole configuration: every agent gets the groups of the `scanners` section, so
 * its scanner_groups filter and the `group` it reports follow the file, as `disagreements` does,
 * not the group a scanner had at its last ingest (common/scanner-groups.ts).
 */
export function withListedGroups<C extends { scanners: Record<string, { group?: string }>; output_agents: AgentConfig[] }>(config: C): C {
  const listed = listedGroups(config);
  return { ...config, output_agents: config.output_agents.map((a) => ({ ...a, filter: { ...a.filter, listedGroups: listed } })) };
}
