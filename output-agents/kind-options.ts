// How a kind validates its own options: a strict zod schema, every issue as 'key.path: message'
// (relative to the agent's entry; output-agents/config-schema.ts puts `output_agents.N.` in front).
import type { z } from 'zod';
import type { ParseResult } from './types';

export function parseWith<S extends z.ZodTypeAny>(schema: S, raw: Record<string, unknown>): ParseResult<z.output<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data };
  return { errors: r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)) };
}
