// The configuration file (DESIGN §5), validated as a whole: every problem is listed with its path.
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { parseTargets } from './ip';
import { parsePortSpec } from './ports';
import type { IpRange, PortScope } from './types';
import { DURATION_HINT, parseDuration } from './duration';

const threshold = z.number().int().min(1).max(1000);

const targetList = z
  .union([z.string(), z.array(z.string())])
  .transform((v, ctx): IpRange[] => {
    try {
      return parseTargets(Array.isArray(v) ? v : [v]);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
  });

const portSpec = z.union([z.string(), z.number()]).transform((v, ctx): PortScope => {
  try {
    return parsePortSpec(String(v));
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});

/** '5s', '500ms', '2m' → milliseconds. */
const duration = z.string().transform((v, ctx): number => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${v}' is not a duration: ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});

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
    ports: portSpec.optional(),
    open_filtered: z.enum(['ignore', 'open']).default('ignore'),
    max_open_ports: z.number().int().min(1).max(65536).default(200),
    timezone: timezone.optional(),
  })
  .strict();
export type ScannerConfig = z.output<typeof scannerSchema>;

const outputAgent = z.object({ name: z.string().min(1), kind: z.string().min(1) }).passthrough();

export const configSchema = z
  .object({
    database: z.string().min(1).optional(),
    scanners: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'scanner names use letters, digits, . _ -'), scannerSchema).default({}),
    inbox: z.string().min(1).optional(),
    // How long an inbox file must stay unchanged (size, mtime) before the watcher takes it.
    inbox_settle: duration.default('5s'),
    smtp: z.record(z.unknown()).optional(),
    policy: z.string().optional(),
    output_agents: z.array(outputAgent).optional(),
    server: z.record(z.unknown()).optional(),
  })
  .strict();
export type Config = z.output<typeof configSchema>;

export const EMPTY_CONFIG: Config = configSchema.parse({});

export function scannerConfig(config: Config, name: string): ScannerConfig {
  return config.scanners[name] ?? scannerSchema.parse({});
}

/** Replaces ${VAR} in string values (never in comments or keys); an unset variable is a problem, not ''. */
function substituteEnv(value: unknown, path: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = process.env[name];
      if (v === undefined) problems.push(`${path || '(top level)'}: environment variable ${name} is not set (used as \${${name}})`);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${path}.${i}`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [substituteEnv(k, path, problems) as string, substituteEnv(v, path ? `${path}.${k}` : k, problems)]),
    );
  }
  return value;
}

export function parseConfig(text: string, file: string): Config {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const problems: string[] = [];
  const raw = substituteEnv(doc.toJS() ?? {}, '', problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    problems.push(...result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`));
  }
  if (problems.length || !result.success) throw new ConfigError(file, problems);
  return result.data;
}

const DEFAULT_PATHS = ['./portdelta.yaml', '/etc/portdelta/portdelta.yaml'];

/** --config, then PORTDELTA_CONFIG, then the default places; none at all is an empty config. */
export function loadConfig(explicit?: string): { config: Config; file: string | null } {
  const chosen = explicit ?? process.env.PORTDELTA_CONFIG;
  if (chosen) {
    let text: string;
    try {
      text = fs.readFileSync(chosen, 'utf8');
    } catch (e) {
      throw new ConfigError(chosen, [`cannot read the file: ${(e as Error).message}`], 'check the path given by --config or PORTDELTA_CONFIG');
    }
    return { config: parseConfig(text, chosen), file: chosen };
  }
  for (const p of DEFAULT_PATHS) {
    if (fs.existsSync(p)) return { config: parseConfig(fs.readFileSync(p, 'utf8'), p), file: p };
  }
  return { config: EMPTY_CONFIG, file: null };
}
