// The `server:` section of the config (DESIGN §5): where `serve` listens, its TLS files, the upload
// tokens (each bound to one scanner), the read tokens (read everything or only their networks,
// upload nothing), whether /metrics needs a token, and the largest body it takes.
import { z } from 'zod';
import { parseTarget } from '../common/ip';
import type { IpRange } from '../common/types';
import { splitHostPort } from '../common/loopback';
import { ARCHIVE_DIR, FAILED_DIR, ignoredName } from '../common/inbox-names';
import { DEFAULT_MAX_BODY } from '../input-agents/open-input';

const DEFAULT_LISTEN = '127.0.0.1:5000';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** '256MiB', '512k', '1G', 1048576 → bytes; null when it is not a size. */
function parseSize(v: string | number): number | null {
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

/** A network a read token is bound to: an address, CIDR or range, as `--network` takes it. */
const network = z.string().transform((spec, ctx): IpRange[] => {
  const r = parseTarget(spec);
  if (r === null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${spec}' is not an address, CIDR or address range (e.g. 10.66.0.0/16, fd00::/64)` });
  return r ?? [];
});

/** A read token as the server uses it: `name` and `networks` only in the object form. */
export interface ReadToken {
  token: string;
  /** Names the token in the request log; null for the plain form (logged by position). */
  name: string | null;
  /** Its answers hold only rows inside these ranges; null = every network. */
  networks: IpRange[] | null;
}

const boundReadToken = z
  .object({
    // Shown in the request log: no spaces or quotes.
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a name of 1 to 64 letters, digits, . _ -'),
    token,
    networks: z.array(network).min(1, 'give at least one network (a token for every network is written as a plain string)'),
  })
  .strict()
  .transform((t): ReadToken => ({ token: t.token, name: t.name, networks: t.networks.flat() }));

const plainReadToken = token.transform((t): ReadToken => ({ token: t, name: null, networks: null }));

/**
 * `"TOKEN"` (reads every network) or `{ name, token, networks: [CIDR…] }` (reads only those
 * networks). Chosen by the value's shape, so a problem is the form's own message, not zod's
 * "Invalid input" for a union.
 */
const readToken = z.unknown().transform((v, ctx): ReadToken => {
  if (typeof v !== 'string' && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a read token is a string, or { name, token, networks: [CIDR, …] } for a token bound to networks' });
    return z.NEVER;
  }
  const r = typeof v === 'string' ? plainReadToken.safeParse(v) : boundReadToken.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue(issue);
  // Not the result (the parse has failed): what the duplicate checks below still compare, so that
  // every problem of the list is reported at once.
  const o = v as { name?: unknown; token?: unknown };
  return typeof v === 'string' ? { token: v, name: null, networks: null } : { token: String(o.token ?? ''), name: typeof o.name === 'string' ? o.name : null, networks: null };
});

/** Each reader its own token and name. */
function checkDistinct(list: ReadToken[], ctx: z.RefinementCtx): void {
  const tokens = new Map<string, number>();
  const names = new Map<string, number>();
  list.forEach((t, i) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, ...path], message });
    if (t.token !== '' && tokens.has(t.token)) problem([], `the same token as server.read_tokens.${tokens.get(t.token)}: each reader needs its own token`);
    if (t.name !== null && names.has(t.name)) problem(['name'], `'${t.name}' is also the name of server.read_tokens.${names.get(t.name)}: names tell readers apart in the log`);
    if (t.token !== '' && !tokens.has(t.token)) tokens.set(t.token, i);
    if (t.name !== null && !names.has(t.name)) names.set(t.name, i);
  });
}

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
    read_tokens: z.array(readToken).superRefine(checkDistinct).default([]),
    // /metrics answers without a token (for a Prometheus on a trusted network); default: a read token is needed.
    metrics_public: z.boolean().default(false),
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
      if (Object.hasOwn(s.tokens, t.token)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['read_tokens', i], message: 'this token is also in server.tokens: a token either uploads (server.tokens) or reads (server.read_tokens); make a new one for reading' });
      }
    });
  });
