// The configuration file (DESIGN §5), validated as a whole: every problem is listed with its path.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { checkEmailAgents, smtpSchema } from '../output-agents/smtp-settings';
import { ConfigError } from './errors';
import { duration, portSpec, share, targetList } from './config-fields';
import { outputAgentsSchema, withListedGroups } from '../output-agents/config-schema';
import { serverSchema } from './server-config';
import { KeyRedactor, type KeyPath } from './config-redact';
import { substituteEnv, underDeferred, type EnvScope, type Substitution } from './config-env';
import { knownKeysAt } from './config-hints';

const threshold = z.number().int().min(1).max(1000);

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a time zone name (e.g. UTC, Europe/Berlin)');

export const scannerSchema = z
  .object({
    group: z.string().min(1).optional(),
    open_after: threshold.default(1),
    close_after: threshold.default(1),
    down_after: threshold.default(1),
    scope: targetList.optional(),
    ports: portSpec().optional(),
    open_filtered: z.enum(['ignore', 'open']).default('ignore'),
    max_open_ports: z.number().int().min(1).max(65536).default(200),
    timezone: timezone.optional(),
    // Scanner health (docs/operations.md): silent after this long without an applied complete scan.
    expect_every: duration.optional(),
    max_absence: share.default('50%'),
  })
  .strict();
export type ScannerConfig = z.output<typeof scannerSchema>;

/**
 * The schema for a configuration file in `baseDir`: relative paths in it (the inbox, output agents'
 * files and templates) count from that folder, as `policy` does, not from wherever portdelta runs.
 */
export const configSchemaIn = (baseDir: string) => z
  .object({
    database: z.string().min(1).optional(),
    scanners: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'scanner names use letters, digits, . _ -'), scannerSchema).default({}),
    // Relative to the configuration file, as the output agents' files are.
    inbox: z.string().min(1).transform((p) => path.resolve(baseDir, p)).optional(),
    // How long an inbox file must stay unchanged (size, mtime) before the watcher takes it.
    inbox_settle: duration.default('5s'),
    smtp: smtpSchema.optional(),
    policy: z.string().optional(),
    output_agents: outputAgentsSchema({ baseDir }).default([]),
    server: serverSchema.default({}),
  })
  .strict()
  .superRefine(checkEmailAgents)
  .transform(withListedGroups);
/** A configuration built in code (demo, tests): relative paths count from the current directory. */
export const configSchema = configSchemaIn('.');
export type Config = z.output<typeof configSchema>;

export const EMPTY_CONFIG: Config = configSchema.parse({});

export function scannerConfig(config: Config, name: string): ScannerConfig {
  return config.scanners[name] ?? scannerSchema.parse({});
}

/** Each zod problem as 'path.to.key: message', secrets left out. */
export function issueLines(error: z.ZodError, redact = new KeyRedactor(), schema?: z.ZodTypeAny): string[] {
  return error.issues.map((i) => `${redact.path(i.path)}: ${redact.message(i, schema && knownKeysAt(schema, i.path))}`);
}

export type { EnvScope };

/** YAML text → a value of the schema, with ${VAR} from the environment; every problem is listed at once. */
export function parseYamlWith<S extends z.ZodTypeAny>(schema: S, text: string, file: string, scope: EnvScope = {}): z.output<S> {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const sub: Substitution = { scope, problems: [], redact: new KeyRedactor(), deferred: [] };
  const raw = substituteEnv(doc.toJS() ?? {}, [], sub);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const kept = new z.ZodError(result.error.issues.filter((i) => !underDeferred(i.path, sub.deferred)));
    sub.problems.push(...issueLines(kept, sub.redact, schema));
  }
  if (sub.problems.length) throw new ConfigError(file, sub.problems);
  // Only problems at unresolved ${VAR}s were left: the rest of the file is valid, and those values
  // are not read by this command. Parse again without them.
  if (result.success && sub.deferred.length === 0) return result.data;
  // No value left as ${VAR} reaches the command: it never reads them, and none may pass for a real one.
  return withoutUnresolved(schema, raw, sub.deferred) ?? usedOnly(schema, raw, file, scope.uses ?? []);
}

/**
 * The file less the values left as ${VAR}: a command that reads another key of that section (ingest
 * reads server.max_body, not the upload tokens) still gets it as written. undefined when the
 * section is invalid without them.
 */
function withoutUnresolved<S extends z.ZodTypeAny>(schema: S, raw: unknown, deferred: readonly KeyPath[]): z.output<S> | undefined {
  const GONE = Symbol('unresolved');
  const copy = structuredClone(raw) as Record<string, unknown>;
  const lists = new Set<unknown[]>();
  for (const at of deferred) {
    const parent = at.slice(0, -1).reduce<unknown>((o: unknown, k: string | number) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[String(k)] : undefined), copy);
    const last = at[at.length - 1];
    if (Array.isArray(parent)) {
      parent[Number(last)] = GONE;
      lists.add(parent);
    } else if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[String(last)];
  }
  for (const list of lists) list.splice(0, list.length, ...list.filter((v) => v !== GONE));
  const again = schema.safeParse(copy);
  return again.success ? again.data : undefined;
}

/** The file's used keys alone; the others were checked above and are left at their defaults. */
function usedOnly<S extends z.ZodTypeAny>(schema: S, raw: unknown, file: string, uses: readonly string[]): z.output<S> {
  const kept = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([k]) => uses.includes(k)));
  const again = schema.safeParse(kept);
  if (!again.success) throw new ConfigError(file, issueLines(again.error));
  return again.data;
}

export function parseConfig(text: string, file: string, scope: EnvScope = {}): Config {
  return parseYamlWith(configSchemaIn(path.dirname(file)), text, file, scope);
}

/** The text of a configuration file named by the user; a clear error when it cannot be read. */
export function readConfigFile(file: string, hint = 'check the path given by --config or PORTDELTA_CONFIG'): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`], hint);
  }
}

const DEFAULT_PATHS = ['./portdelta.yaml', '/etc/portdelta/portdelta.yaml'];

/** --config, then PORTDELTA_CONFIG, then the default places; none at all is an empty config. */
export function loadConfig(explicit?: string, scope: EnvScope = {}): { config: Config; file: string | null } {
  const chosen = explicit ?? process.env.PORTDELTA_CONFIG;
  if (chosen) {
    return { config: parseConfig(readConfigFile(chosen), chosen, scope), file: chosen };
  }
  for (const p of DEFAULT_PATHS) {
    if (fs.existsSync(p)) return { config: parseConfig(fs.readFileSync(p, 'utf8'), p, scope), file: p };
  }
  return { config: EMPTY_CONFIG, file: null };
}
