// How a kind validates its own options: a strict zod schema, every issue as 'key.path: message'
// (relative to the agent's entry; output-agents/config-schema.ts puts `output_agents.N.` in front).
import type { z } from 'zod';
import { keyHint, knownKeysAt } from '../common/config-hints';
import type { OptionsContext, ParseResult } from './types';

/** `ctx.entryKeys`: the keys every agent entry has beside the kind's own, for "did you mean". */
export function parseWith<S extends z.ZodTypeAny>(schema: S, raw: Record<string, unknown>, ctx?: OptionsContext): ParseResult<z.output<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data };
  return { errors: r.error.issues.map((i) => issueText(i, schema, ctx)) };
}

/** zod's message, with "did you mean …" for an unrecognised key. */
export function issueMessage(i: z.ZodIssue, schema: z.ZodTypeAny, ctx?: OptionsContext): string {
  if (i.code !== 'unrecognized_keys') return i.message;
  const known = [...knownKeysAt(schema, i.path), ...(i.path.length === 0 ? (ctx?.entryKeys ?? []) : [])];
  return `${i.message}${keyHint(i.keys, known)}`;
}

function issueText(i: z.ZodIssue, schema: z.ZodTypeAny, ctx?: OptionsContext): string {
  const message = issueMessage(i, schema, ctx);
  return i.path.length ? `${i.path.join('.')}: ${message}` : message;
}
