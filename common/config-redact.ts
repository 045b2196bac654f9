// Configuration problems end up in cron mail and journald, so no secret may appear in one. Upload
// tokens are the KEYS of server.tokens: a problem there names the entry by its position
// (`server.tokens[#2]`, plus `${VAR}` when the key was written as one). Any other mapping key that
// came from ${VAR} is shown as written, and an unrecognised key that could be a token (anything but
// a plain key name) is not shown at all.
import type { z } from 'zod';
import { keyHint, type KeyPath } from './config-hints';

/** Mappings whose keys are secrets. */
const SECRET_KEYED: readonly string[] = ['server.tokens'];
/** What a mistyped configuration key looks like; a token has digits or is long. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z_-]{0,39}$/;
const ENV_ONLY = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

const mapOf = (path: KeyPath): string => path.join('.');

export class KeyRedactor {
  /** Keys after ${VAR} substitution → the text written in the file. */
  private readonly written = new Map<string, string>();
  /** `map\0key` (the key as written and as substituted) → its label in a secret-keyed mapping. */
  private readonly labels = new Map<string, string>();

  /** substituteEnv reports each mapping key here, with the mapping's path and the key's position. */
  key(parent: KeyPath, asWritten: string, substituted: string, index: number): void {
    if (asWritten !== substituted) this.written.set(substituted, asWritten);
    const map = mapOf(parent);
    if (!SECRET_KEYED.includes(map)) return;
    const label = `[#${index + 1}${ENV_ONLY.test(asWritten) ? ` ${asWritten}` : ''}]`;
    this.labels.set(`${map}\0${asWritten}`, label);
    this.labels.set(`${map}\0${substituted}`, label);
  }

  /** 'server.tokens[#2].x' for ['server', 'tokens', '<token>', 'x']. */
  path(path: KeyPath): string {
    if (path.length === 0) return '(top level)';
    let out = '';
    path.forEach((seg, i) => {
      const map = mapOf(path.slice(0, i));
      if (SECRET_KEYED.includes(map)) {
        out += this.labels.get(`${map}\0${String(seg)}`) ?? '[#?]';
        return;
      }
      out += `${i === 0 ? '' : '.'}${typeof seg === 'string' ? (this.written.get(seg) ?? seg) : seg}`;
    });
    return out;
  }

  /** zod's message, with unrecognised keys shown only when they cannot be a secret. */
  message(issue: z.ZodIssue, known: readonly string[] = []): string {
    if (issue.code !== 'unrecognized_keys') return issue.message;
    const shown = issue.keys.map((k) => {
      if (this.written.has(k)) return this.written.get(k)!;
      return PLAIN_KEY.test(k) ? `'${k}'` : `a key of ${k.length} characters (not shown: it may be a token)`;
    });
    return `Unrecognized key(s) in object: ${shown.join(', ')}${keyHint(issue.keys, known)}`;
  }
}
