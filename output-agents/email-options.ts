// The options of an `email` agent (DESIGN §4), checked as a whole: every problem at once, each with
// its key. Templates are read and compiled here, so a missing or broken file stops the configuration,
// not the night's mail.
import path from 'node:path';
import { z } from 'zod';
import { compileSubject, loadTemplate } from './render';
import { mailAddress } from './smtp-settings';
import { CWD_CONTEXT, type OptionsContext, type ParseResult } from './types';
import { issueMessage } from './kind-options';

export interface EmailOptions {
  to: string[];
  cc: string[];
  /** Else smtp.from (config/config.ts refuses an email agent with neither). */
  from?: string;
  reply_to?: string;
  /** A Handlebars template string; else render.ts's DEFAULT_SUBJECT. */
  subject?: string;
  /** Absolute paths of template files (relative ones count from the configuration's folder); else the shipped ones. */
  text_template?: string;
  html_template?: string;
}

const addressList = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(mailAddress, { required_error: `required: the ${what} as a list of addresses`, invalid_type_error: `the ${what}: an address or a list of addresses` })
      .min(1, `give at least one ${what.replace(/s$/, '')}`),
  );

function templateFile(kind: 'text' | 'html', baseDir: string) {
  return z.string().min(1).transform((p, ctx) => {
    const file = path.resolve(baseDir, p);
    try {
      loadTemplate(file, kind);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
    return file;
  });
}

const schemaFor = (baseDir: string) => z
  .object({
    to: addressList('recipients'),
    cc: addressList('copy recipients').optional(),
    from: mailAddress.optional(),
    reply_to: mailAddress.optional(),
    subject: z
      .string()
      .min(1)
      .superRefine((s, ctx) => {
        try {
          compileSubject(s);
        } catch (e) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
        }
      })
      .optional(),
    text_template: templateFile('text', baseDir).optional(),
    html_template: templateFile('html', baseDir).optional(),
  })
  .strict();

export function parseEmailOptions(raw: Record<string, unknown>, ctx: OptionsContext = CWD_CONTEXT): ParseResult<EmailOptions> {
  const schema = schemaFor(ctx.baseDir);
  const r = schema.safeParse(raw);
  if (!r.success) return { errors: r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${issueMessage(i, schema, ctx)}`) };
  const { cc, ...rest } = r.data;
  return { value: { ...rest, cc: cc ?? [] } };
}
