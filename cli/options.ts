// A command's options as commander hands them over (name → unknown), read with their types: each
// reader checks the value at run time instead of casting it, so an option declared in
// cli/commands.ts with another shape than its reader expects fails loudly here, not far away.
import { UsageError } from '../common/errors';

/** What commander's `opts()` gives a command: option values by camelCase name. */
export type RawOptions = Readonly<Record<string, unknown>>;

// 'olderThan' → '--older-than', as the option is spelled on the command line.
const flagName = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function wrongShape(name: string, expected: string, value: unknown): UsageError {
  const got = Array.isArray(value) ? 'a list' : typeof value;
  return new UsageError(`${flagName(name)}: expected ${expected}, got ${got}`, `give ${flagName(name)} as \`portdelta COMMAND --help\` shows it`);
}

/** An option with a value (`--scanner <name>`); undefined when not given. */
export function textOpt(opts: RawOptions, name: string): string | undefined {
  const v = opts[name];
  if (v === undefined || typeof v === 'string') return v;
  throw wrongShape(name, 'one value', v);
}

/** A repeatable option (`--network <cidr>` with collect); undefined when not given. */
export function listOpt(opts: RawOptions, name: string): string[] | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
  throw wrongShape(name, 'a list of values', v);
}

/** A switch (`--dry-run`); false when not given. */
export function flagOpt(opts: RawOptions, name: string): boolean {
  const v = opts[name];
  if (v === undefined || typeof v === 'boolean') return v === true;
  throw wrongShape(name, 'a switch without a value', v);
}
