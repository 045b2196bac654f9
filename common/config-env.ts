// ${VAR} in a configuration file: replaced from the environment after the YAML is read, only under
// the top-level keys the running command uses (cli/commands.ts `uses`).
import type { KeyRedactor } from './config-redact';
import type { KeyPath } from './config-hints';

/**
 * Which ${VAR}s are resolved: those under the top-level keys a command uses (all when no command is
 * named: the agent's file, tests). `deferred` collects the paths left as written; problems there
 * depend on a value nobody looked up, so they are not reported (see parseYamlWith).
 */
export interface EnvScope {
  uses?: readonly string[];
  /** The command, for the message about an unset variable. */
  command?: string;
  /** Where ${VAR} is looked up: the command's environment (the process's when absent). */
  env?: NodeJS.ProcessEnv;
}

export interface Substitution {
  scope: EnvScope;
  problems: string[];
  redact: KeyRedactor;
  deferred: KeyPath[];
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const HAS_ENV_REF = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

function substituteText(text: string, path: KeyPath, sub: Substitution): string {
  const { uses, command } = sub.scope;
  if (!text.includes('${')) return text;
  if (uses && path.length > 0 && !uses.includes(String(path[0]))) {
    if (HAS_ENV_REF.test(text)) sub.deferred.push(path);
    return text;
  }
  let unset = false;
  // An unset variable stays as written (not ''), so two of them never look like one repeated value.
  const out = text.replace(ENV_REF, (all, name: string) => {
    const v = (sub.scope.env ?? process.env)[name];
    if (v !== undefined) return v;
    unset = true;
    sub.problems.push(`${sub.redact.path(path)}: environment variable ${name} is not set (used as \${${name}})${command ? `; \`portdelta ${command}\` needs it` : ''}`);
    return all;
  });
  if (unset) sub.deferred.push(path);
  return out;
}

/**
 * Replaces ${VAR} in string values and mapping keys (comments are gone by now); an unset variable is
 * a problem, not ''. Every mapping key is shown to the redactor, so problems never print a secret key.
 */
export function substituteEnv(value: unknown, path: KeyPath, sub: Substitution): unknown {
  if (typeof value === 'string') return substituteText(value, path, sub);
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], sub));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v], i) => {
        sub.redact.key(path, k, k, i); // first, so that a problem with the key is labelled, not shown
        const key = substituteText(k, [...path, k], sub);
        sub.redact.key(path, k, key, i);
        return [key, substituteEnv(v, [...path, key], sub)];
      }),
    );
  }
  return value;
}

const within = (path: KeyPath, prefix: KeyPath): boolean => prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i]));

/** Whether a problem at `path` depends on a value left unresolved. */
export const underDeferred = (path: KeyPath, deferred: readonly KeyPath[]): boolean => deferred.some((d) => within(path, d));

