// The options the inventory kinds (phpipam, netbox) share: where the API is, how its certificate is
// checked, how long and how fast to talk to it. A token never crosses the network in clear:
// http:// is allowed only to this machine.
import path from 'node:path';
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { isLoopbackHost } from '../common/loopback';
import type { OptionsContext } from './types';

function parsedUrl(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

export const apiUrl = z.string().superRefine((u, ctx) => {
  const url = parsedUrl(u);
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give an https:// URL' });
  } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `the token would cross the network in clear to ${url.hostname}: use https:// (http:// only to 127.0.0.1, ::1, localhost)` });
  }
});

/**
 * A secret: not empty, and printable ASCII, as the peers' tokens are. It goes into a header, where
 * Node refuses control characters (and a zero-width space pasted with it) only when it sends:
 * refused here, the problem is named once instead of failing every run with a misleading remedy.
 */
export const secret = z
  .string()
  .min(1, 'give the token (e.g. "${TOKEN_VARIABLE}")')
  .regex(/^[\x21-\x7e]*$/, 'a token is printable ASCII: no spaces, line breaks or other control characters');

export const connectionKeys = {
  ca_file: z.string().min(1).optional(),
  timeout: duration.default('30s'),
  /** Requests per second at most. */
  rate: z.number().positive().max(1000).default(5),
};

/** ca_file relative to the configuration file's folder, as `policy` is. */
export const resolveCa = (caFile: string | undefined, ctx?: OptionsContext): string | undefined =>
  caFile === undefined ? undefined : path.resolve(ctx?.baseDir ?? '.', caFile);

/** Host names from the network are written to an inventory only when they are plain DNS names. */
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
export const isDnsName = (name: string | null | undefined): name is string => typeof name === 'string' && DNS_NAME.test(name);
