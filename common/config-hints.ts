// "did you mean …": the known key nearest to a mistyped one, found in the schema that refused it.
import { z } from 'zod';

/** Where a value sits in the file: keys and list positions from the top. */
export type KeyPath = ReadonlyArray<string | number>;

/** Edit distance with adjacent swaps counted once (smpt → smtp is one edit). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const norm = (k: string): string => k.toLowerCase().replace(/-/g, '_');

/** The known key closest to `key`, when it is close enough to be a typo; else null. */
function nearestKey(key: string, known: readonly string[]): string | null {
  const limit = key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3;
  let best: { k: string; d: number } | null = null;
  for (const k of known) {
    const d = distance(norm(key), norm(k));
    if (d <= limit && (!best || d < best.d)) best = { k, d };
  }
  return best?.k ?? null;
}

/** The keys of the object schema that `path` leads to inside `schema`; [] where it cannot tell. */
export function knownKeysAt(schema: z.ZodTypeAny, path: KeyPath): string[] {
  const s = unwrap(schema);
  if (path.length === 0) return s instanceof z.ZodObject ? Object.keys(s.shape as object) : [];
  const [seg, ...rest] = path;
  if (s instanceof z.ZodObject) {
    const next = (s.shape as Record<string, z.ZodTypeAny>)[String(seg)];
    return next ? knownKeysAt(next, rest) : [];
  }
  if (s instanceof z.ZodRecord) return knownKeysAt(s.valueSchema as z.ZodTypeAny, rest);
  if (s instanceof z.ZodArray) return knownKeysAt(s.element as z.ZodTypeAny, rest);
  if (s instanceof z.ZodUnion) {
    for (const o of s.options as z.ZodTypeAny[]) {
      const keys = knownKeysAt(o, path);
      if (keys.length) return keys;
    }
  }
  return [];
}

function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodEffects) s = s.innerType();
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodDefault) s = s.removeDefault();
    else return s;
  }
}

/** ' (did you mean …?)' for the keys of an unrecognized_keys issue, or ''. */
export function keyHint(keys: readonly string[], known: readonly string[]): string {
  const near = keys.map((k) => [k, nearestKey(k, known)] as const).filter(([, n]) => n !== null);
  // Only the known names are shown: an unknown key may be a token (common/config-redact.ts).
  return near.length ? ` (did you mean ${near.map(([, n]) => `'${n}'`).join(' or ')}?)` : '';
}
