// The `server:` section of the config (DESIGN §5): where `serve` listens, its TLS files, the upload
// tokens (each bound to one scanner), the read tokens (read everything, upload nothing) and the
// largest body it takes.
import { z } from 'zod';
import { splitHostPort } from '../common/loopback';
import { ARCHIVE_DIR, FAILED_DIR, ignoredName } from '../common/inbox-names';
import { DEFAULT_MAX_BODY } from '../input-agents/open-input';

export const DEFAULT_LISTEN = '127.0.0.1:5000';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** '256MiB', '512k', '1G', 1048576 → bytes; null when it is not a size. */
export function parseSize(v: string | number): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : null;
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(v.trim());
  return m ? Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()] : null;
}

/** Scanner names become inbox folder names: no dot first, no path separators. */
const SCANNER_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;

/**
 * A scanner name for uploads: an inbox folder that the watcher looks into. Its own folders
 * (archive/, failed/) and names it skips (common/inbox-names.ts) would take uploads that are never
 * ingested.
 */
export const uploadScannerName = z.string().superRefine((n, ctx) => {
  const problem = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  if (!SCANNER_NAME.test(n)) problem('a scanner name: letters, digits, . _ - (not starting with a dot)');
  else if ([ARCHIVE_DIR, FAILED_DIR].includes(n.toLowerCase())) problem(`'${n}' is the name of the watcher's own folder in the inbox: choose another scanner name`);
  else if (ignoredName(n)) problem(`the watcher skips a folder named '${n}' (names ending .part or .tmp are uploads in progress): choose another scanner name`);
});

const token = z.string().min(16, 'a token needs at least 16 characters (e.g. `openssl rand -hex 32`)');

export const serverSchema = z
  .object({
    listen: z
      .string()
      .refine((s) => splitHostPort(s) !== null, 'expected HOST:PORT, e.g. 0.0.0.0:5000, 127.0.0.1:5000 or [::1]:5000')
      .default(DEFAULT_LISTEN),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    tokens: z
      .record(
        token,
        uploadScannerName,
      )
      .default({}),
    read_tokens: z.array(token).default([]),
    max_body: z
      .union([z.string(), z.number()])
      .transform((v, ctx) => {
        const n = parseSize(v);
        if (n === null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${v}' is not a size (e.g. 268435456, 256MiB, 1G)` });
        return n ?? 0;
      })
      .default(DEFAULT_MAX_BODY),
  })
  .strict()
  .superRefine((s, ctx) => {
    s.read_tokens.forEach((t, i) => {
      if (Object.hasOwn(s.tokens, t)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['read_tokens', i], message: 'this token is also in server.tokens: a token either uploads (server.tokens) or reads everything (server.read_tokens); make a new one for reading' });
      }
    });
  });
