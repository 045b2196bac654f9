// The `smtp` section of the configuration (DESIGN §5): where email agents hand their mail over.
// Kept here, beside the agent that uses it, and plugged into config/config.ts as one key.
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../common/duration';
import { isLoopbackHost } from '../common/loopback';
import type { SmtpSettings } from './types';

/** A bare addr-spec (local@domain) as operators write one; no quoting, no comments, no IP literals. */
const ADDR_SPEC = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** 'Name <local@domain>': the name without quotes, brackets, commas or semicolons (they would split the list). */
const NAMED = /^([^<>",;@]*?)\s*<([^<>]+)>$/;

/** Why a mail address as written in the config is unusable, or null when it is fine. */
function addressProblem(text: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) return 'contains a line break or another control character';
  const named = NAMED.exec(text.trim());
  const spec = named ? named[2] : text.trim();
  if (!ADDR_SPEC.test(spec)) return `'${text}' is not a mail address (write local@domain or Name <local@domain>)`;
  return null;
}

export const mailAddress = z.string().superRefine((s, ctx) => {
  const problem = addressProblem(s);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

export const smtpSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    /** true: TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** With secure: false. true: STARTTLS when offered, and required before a login; false: never (loopback only). */
    starttls: z.boolean().default(true),
    from: mailAddress.optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    tls_verify: z.boolean().default(true),
    timeout: z
      .string()
      .default('30s')
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === null || ms <= 0) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${v}' is not a duration: ${DURATION_HINT}` });
          return z.NEVER;
        }
        return ms;
      }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.password !== undefined && s.user === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['user'], message: 'a password without a user: set user as well' });
    }
    // Without STARTTLS the login and the mail cross the network in clear: only to this machine.
    if (!s.starttls && s.secure) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['starttls'], message: 'starttls: false goes with secure: false; secure: true is TLS from the first byte' });
    } else if (!s.starttls && !isLoopbackHost(s.host)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['starttls'], message: `starttls: false sends the mail${s.user ? ' and the password' : ''} in clear, so it is allowed only for a relay on this machine (127.0.0.1, ::1, localhost), not ${s.host}; remove it, or use secure: true` });
    }
  })
  .transform(({ timeout, ...rest }): SmtpSettings => ({ ...rest, timeout_ms: timeout }));

/**
 * Config-time check across sections: every email agent needs the smtp section and a sender (its own
 * `from` or smtp.from). Added to the whole config's schema so it is listed with the other problems.
 */
export function checkEmailAgents(
  config: { smtp?: SmtpSettings; output_agents?: Array<{ kind: string; name: string; options: unknown }> },
  ctx: z.RefinementCtx,
): void {
  // After other problems in the file zod still runs this check, with whatever those parts became.
  if (!Array.isArray(config.output_agents)) return;
  config.output_agents.forEach((agent, i) => {
    if (!agent || typeof agent !== 'object') return;
    if (agent.kind !== 'email') return;
    if (!config.smtp) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['smtp'], message: `the email agent '${agent.name}' needs an smtp section (at least host)` });
    } else if ((agent.options as { from?: string }).from === undefined && config.smtp.from === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['output_agents', i, 'from'], message: `no sender for the email agent '${agent.name}': set from here or smtp.from` });
    }
  });
}
