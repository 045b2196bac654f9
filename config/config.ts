// The configuration file (DESIGN §5), composed from each part's schema and validated as a whole:
// every problem is listed with its path. It sits above the plug-ins (they give their schemas) and
// below the commands; lower layers get only the slice they need (ScannersConfig, ListedGroups).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkEmailAgents, smtpSchema } from '../output-agents/smtp-settings';
import { duration } from '../common/config-fields';
import { outputAgentsSchema, withListedGroups } from '../output-agents/config-schema';
import { scannerSchema } from '../common/scanner-config';
import { parseYamlWith, readConfigFile, type EnvScope } from '../common/yaml-config';
import { serverSchema } from './server-config';
import { canonicalIp } from '../common/ip';

const family = (v6: boolean) =>
  z.string().transform((text, ctx) => {
    const ip = canonicalIp(text);
    if (ip === null || ip.includes(':') !== v6) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${text}' is not an ${v6 ? 'IPv6' : 'IPv4'} address` });
      return z.NEVER;
    }
    return ip;
  });

/** Explicit dual-stack hosts (besides those linked by one PTR name): disagreements --family. */
const dualStackSchema = z.array(z.object({ ipv4: family(false), ipv6: family(true) }).strict()).default([]);

/**
 * The schema for a configuration file in `baseDir`: relative paths in it (the inbox, output agents'
 * files and templates) count from that folder, as `policy` does, not from wherever portdelta runs.
 */
const configSchemaIn = (baseDir: string) => z
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
    dual_stack: dualStackSchema,
  })
  .strict()
  .superRefine(checkEmailAgents)
  .transform(withListedGroups);
/** A configuration built in code (demo, tests): relative paths count from the current directory. */
export const configSchema = configSchemaIn('.');
export type Config = z.output<typeof configSchema>;

export const EMPTY_CONFIG: Config = configSchema.parse({});

export function parseConfig(text: string, file: string, scope: EnvScope = {}): Config {
  return parseYamlWith(configSchemaIn(path.dirname(file)), text, file, scope);
}

const DEFAULT_PATHS = ['./portdelta.yaml', '/etc/portdelta/portdelta.yaml'];

/** The file given (--config, else PORTDELTA_CONFIG: the caller's choice), then the default places; none at all is an empty config. */
export function loadConfig(chosen: string | undefined, scope: EnvScope = {}): { config: Config; file: string | null } {
  if (chosen) {
    return { config: parseConfig(readConfigFile(chosen), chosen, scope), file: chosen };
  }
  for (const p of DEFAULT_PATHS) {
    if (fs.existsSync(p)) return { config: parseConfig(fs.readFileSync(p, 'utf8'), p, scope), file: p };
  }
  return { config: EMPTY_CONFIG, file: null };
}
