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
 * The schema for a configuration file in `baseDir`: relative paths in it (output agents' files and
 * templates) count from that folder, as `policy` does, not from wherever portdelta runs.
 */
export const configSchemaIn = (baseDir: string) => z
  .object({
    database: z.string().min(1).optional(),
    scanners: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'scanner names use letters, digits, . _ -'), scannerSchema).default({}),
    inbox: z.string().min(1).optional(),
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

/**
 * Replaces ${VAR} in string values and mapping keys (comments are gone by now); an unset variable is
 * a problem, not ''. Every mapping key is shown to the redactor, so problems never print a secret key.
 */
function substituteEnv(value: unknown, path: KeyPath, problems: string[], redact: KeyRedactor): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = process.env[name];
      if (v === undefined) problems.push(`${redact.path(path)}: environment variable ${name} is not set (used as \${${name}})`);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], problems, redact));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v], i) => {
        const key = substituteEnv(k, path, problems, redact) as string;
        redact.key(path, k, key, i);
        return [key, substituteEnv(v, [...path, k], problems, redact)];
      }),
    );
  }
  return value;
}

/** Each zod problem as 'path.to.key: message', secrets left out. */
export function issueLines(error: z.ZodError, redact = new KeyRedactor()): string[] {
  return error.issues.map((i) => `${redact.path(i.path)}: ${redact.message(i)}`);
}

/** YAML text → a value of the schema, with ${VAR} from the environment; every problem is listed at once. */
export function parseYamlWith<S extends z.ZodTypeAny>(schema: S, text: string, file: string): z.output<S> {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const problems: string[] = [];
  const redact = new KeyRedactor();
  const raw = substituteEnv(doc.toJS() ?? {}, [], problems, redact);
  const result = schema.safeParse(raw);
  if (!result.success) problems.push(...issueLines(result.error, redact));
  if (problems.length || !result.success) throw new ConfigError(file, problems);
  return result.data;
}

export function parseConfig(text: string, file: string): Config {
  return parseYamlWith(configSchemaIn(path.dirname(file)), text, file);
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
export function loadConfig(explicit?: string): { config: Config; file: string | null } {
  const chosen = explicit ?? process.env.PORTDELTA_CONFIG;
  if (chosen) {
    return { config: parseConfig(readConfigFile(chosen), chosen), file: chosen };
  }
  for (const p of DEFAULT_PATHS) {
    if (fs.existsSync(p)) return { config: parseConfig(fs.readFileSync(p, 'utf8'), p), file: p };
  }
  return { config: EMPTY_CONFIG, file: null };
}
