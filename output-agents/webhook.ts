// Kind `webhook`: one HTTP(S) POST of JSON per run: a Slack-compatible `text` plus the changes.
// Anything but a 2xx answer (or no answer within the timeout) is a failed delivery, retried next run.
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { parseWith } from './kind-options';
import { changeLine } from './change-line';
import type { ChangeBatch, OutputAgent } from './types';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const schema = z
  .object({
    url: z.string().refine((u) => {
      try {
        return ['http:', 'https:'].includes(new URL(u).protocol);
      } catch {
        return false;
      }
    }, 'give an http:// or https:// URL'),
    timeout: duration.default('10s'),
    headers: z
      .record(z.string().regex(/^[^\r\n\0]*$/, 'a header value must not contain line breaks'))
      .refine((h) => Object.keys(h).every((k) => TOKEN.test(k)), 'header names use letters, digits and - only')
      .default({}),
  })
  .strict();
export type WebhookOptions = z.output<typeof schema>;

function body(batch: ChangeBatch): string {
  const n = batch.changes.length;
  const text = [`portdelta ${batch.agent}: ${n} change${n === 1 ? '' : 's'}`, ...batch.changes.map((c) => `• ${changeLine(c)}`)].join('\n');
  return JSON.stringify({ text, agent: batch.agent, target_group: batch.targetGroup, generated_at: batch.generatedAt.toISOString(), changes: batch.changes, disagreements: batch.disagreements });
}

export const webhookAgent: OutputAgent<WebhookOptions> = {
  kind: 'webhook',
  parseOptions: (raw) => parseWith(schema, raw),
  async deliver(batch, options) {
    const where = new URL(options.url);
    where.username = where.password = '';
    let res: Response;
    try {
      res = await fetch(options.url, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json' },
        body: body(batch),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeout),
      });
    } catch (e) {
      const err = e as Error & { cause?: Error };
      const why = err.name === 'TimeoutError' ? `no answer within ${options.timeout / 1000}s` : (err.cause?.message ?? err.message);
      throw new Error(`POST ${where} failed: ${why}`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
    if (res.status < 200 || res.status > 299) throw new Error(`POST ${where} answered ${res.status} ${res.statusText}${answer ? `: ${answer}` : ''}`);
  },
};
