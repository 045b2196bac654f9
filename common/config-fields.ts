// Field types several config sections share (scanners, output agents): each turns the text an
// operator wrote into the parsed value, or adds an issue at the field's path.
import { z } from 'zod';
import { parseTargets } from './ip';
import { parsePortSpec } from './ports';
import { DURATION_HINT, parseDuration } from './duration';
import { PROTOS, type IpRange, type PortScope, type Proto } from './types';

/** Wraps a parser that throws into a zod transform whose issue carries the parser's message. */
export function parsed<I, O>(fn: (v: I) => O) {
  return (v: I, ctx: z.RefinementCtx): O => {
    try {
      return fn(v);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
  };
}

export const targetList = z
  .union([z.string(), z.array(z.string())])
  .transform(parsed((v): IpRange[] => parseTargets(Array.isArray(v) ? v : [v])));

/** nmap -p syntax; unprefixed ports count for `unprefixed` (nmap's default: TCP). */
export const portSpec = (unprefixed: readonly Proto[] = ['tcp']) =>
  z.union([z.string(), z.number()]).transform(parsed((v): PortScope => parsePortSpec(String(v), unprefixed)));

/** '30s', '24h' → milliseconds. */
export const duration = z.string().transform(parsed((v): number => {
  const ms = parseDuration(v);
  if (ms === null) throw new TypeError(`'${v}' is not a duration: ${DURATION_HINT}`);
  return ms;
}));

const proto = z.enum(PROTOS as [Proto, ...Proto[]]);
/** One item or a list of them; either way a list (so an error names the bad item). */
export const listOf = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item).min(1));

export const protoList = listOf(proto);

/** A share as operators write it, '50%' or 50 (percent): a fraction 0..1. */
export const share = z.union([z.string(), z.number()]).transform(parsed((v): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(String(v));
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct >= 0 && pct <= 100)) throw new TypeError(`'${v}' is not a share: give a percentage from 0% to 100% (e.g. 50%)`);
  return pct / 100;
}));
