// A YAML file read into a zod schema, with ${VAR} from the environment: every problem is listed at
// once with its key path, secrets left out. Shared by the main configuration and the agent's.
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { KeyRedactor } from './config-redact';
import type { KeyPath } from './config-hints';
import { substituteEnv, underDeferred, type EnvScope, type Substitution } from './config-env';
import { knownKeysAt } from './config-hints';

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
  const at = (path: KeyPath): unknown => path.reduce<unknown>((o: unknown, k: string | number) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[String(k)] : undefined), copy);
  for (const path of deferred) {
    // A list entry that is a mapping (a read token with its name and networks) goes as a whole:
    // without its ${VAR} it would be an invalid entry that fails the whole section.
    const entry = path.length >= 3 && Array.isArray(at(path.slice(0, -2))) ? path.slice(0, -1) : path;
    const parent = at(entry.slice(0, -1));
    const last = entry[entry.length - 1];
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

/** The text of a configuration file named by the user; a clear error when it cannot be read. */
export function readConfigFile(file: string, hint = 'check the path given by --config or PORTDELTA_CONFIG'): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`], hint);
  }
}
