// Kind `webhook`: one digest per run as HTTP(S) POSTs (webhook-body.ts): portdelta's own JSON, a chat
// platform's messages (`style`, split by its limits) or a SIEM's records (`format`), at most one
// message a second to one URL (pace.ts). Anything but a 2xx answer (or no answer within the
// timeout) is a failed delivery: the changes of the messages already sent stay delivered, the
// others are retried next run.
// Slack-style URLs carry their secret in the path or the query, so messages name only
// scheme://host:port, and headers (tokens) travel in clear only to this machine.
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { DeliveryError } from '../common/errors';
import { isLoopbackHost } from '../common/loopback';
import { parseWith } from './kind-options';
import { CHAT_STYLE_NAMES } from './chat/registry';
import { paceFor } from './pace';
import { SIEM_FORMAT_NAMES } from './siem/registry';
import type { OutputAgent } from './types';
import { webhookMessages, type WebhookMessage } from './webhook-body';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parsedUrl(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

const schema = z
  .object({
    url: z.string().refine((u) => ['http:', 'https:'].includes(parsedUrl(u)?.protocol ?? ''), 'give an http:// or https:// URL'),
    timeout: duration.default('10s'),
    headers: z
      .record(z.string().regex(/^[^\r\n\0]*$/, 'a header value must not contain line breaks'))
      .refine((h) => Object.keys(h).every((k) => TOKEN.test(k)), 'header names use letters, digits and - only')
      .default({}),
    style: z.enum(['generic', ...CHAT_STYLE_NAMES]).default('generic'),
    format: z.enum(['json', ...SIEM_FORMAT_NAMES]).default('json'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.style !== 'generic' && o.format !== 'json') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['format'], message: `a chat style (${o.style}) posts chat messages, format ${o.format} posts SIEM records: give one of them` });
    }
    const u = parsedUrl(o.url);
    if (u?.protocol === 'http:' && Object.keys(o.headers).length && !isLoopbackHost(u.hostname)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['headers'],
        message: `headers (tokens) would cross the network in clear to ${u.hostname}: use an https:// URL; http:// with headers is allowed only to this machine (127.0.0.1, ::1, localhost)`,
      });
    }
  });
export type WebhookOptions = z.output<typeof schema>;

/** scheme://host:port of the URL: what a message may show of it. */
function urlOrigin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** The server's answer, short, one line, without the secrets we sent should it echo them. */
function answerText(raw: string, options: WebhookOptions): string {
  const u = new URL(options.url);
  const parts = [u.pathname, ...u.pathname.split('/'), u.search, ...u.searchParams.values(), u.username, u.password, ...Object.values(options.headers)];
  // Longest first, so a whole path goes before the segments it contains.
  const secrets = parts.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  let text = raw.slice(0, 2000);
  for (const s of secrets) text = text.split(s).join('…');
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** What to do about an answer other than 2xx. */
function statusRemedy(status: number): string {
  if (status === 401 || status === 403) return 'check the credentials: the token in the URL or in the agent\'s headers';
  if (status >= 300 && status < 400) return 'give the URL the server redirects to (redirects are not followed)';
  if (status === 429) return 'the server limits how often it takes messages: the next run sends the rest; run the agent less often, or give it its own URL';
  if (status >= 500) return 'the server failed: check its state and logs';
  return 'check the URL and the headers the server expects';
}

export const webhookAgent: OutputAgent<WebhookOptions> = {
  kind: 'webhook',
  parseOptions: (raw, ctx) => parseWith(schema, raw, ctx),
  async deliver(batch, options) {
    const sent: number[] = [];
    for (const m of webhookMessages(batch, options)) {
      await paceFor(options.url);
      await post(batch.agent, m, options, sent);
      sent.push(...m.ids);
    }
  },
};

/** `sent`: the changes of the messages already posted this run, which stay delivered should this one fail. */
async function post(agent: string, m: WebhookMessage, options: WebhookOptions, sent: number[]): Promise<void> {
  const where = `webhook agent ${agent}: POST to ${urlOrigin(options.url)}`;
  let res: Response;
  try {
    res = await fetch(options.url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': m.contentType },
      body: m.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeout),
    });
  } catch (e) {
    const err = e as Error & { cause?: Error };
    const timedOut = err.name === 'TimeoutError';
    const why = timedOut ? `no answer within ${options.timeout / 1000}s` : (err.cause?.message ?? err.message);
    const remedy = timedOut
      ? 'check that the server answers; raise the agent\'s timeout if it is only slow'
      : 'check the URL (host, port, scheme) and that the server is up and reachable from this machine';
    throw new DeliveryError(`${where} failed: ${answerText(why, options)}`, { cause: e, remedy, deliveredIds: [...sent] });
  }
  const answer = answerText(await res.text().catch(() => ''), options);
  if (res.status < 200 || res.status > 299) {
    throw new DeliveryError(`${where} answered ${res.status} ${res.statusText}${answer ? `: ${answer}` : ''}`, { remedy: statusRemedy(res.status), deliveredIds: [...sent] });
  }
}
