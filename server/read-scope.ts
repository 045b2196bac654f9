// What a read may see, decided once for every read route (the read API now, the dashboard later):
// a route builds its filter from the query and passes it through readScope, never the query alone.
// An upload token reads its own scanner only; a read token bound to networks reads only rows whose
// address is inside them. Scanner events have no address (ip_key ''), so a bound token never sees them.
import type { IpRange } from '../common/types';
import { HttpError } from './http-error';
import type { Access } from './auth';

/** The part of a filter that decides visibility: which scanner and which addresses. */
export interface Scope {
  scanner?: string;
  networks?: IpRange[];
}

/**
 * Matches no address: `ip_key BETWEEN 'x' AND ''` is false for every key. An empty list would mean
 * "no network filter" to the queries, so an empty intersection is written as this range.
 */
const NOWHERE: IpRange = Object.freeze({ lo: 'x', hi: '' });

/** The ranges in both lists (each list's ranges may overlap each other). */
function intersectRanges(a: readonly IpRange[], b: readonly IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const lo = x.lo > y.lo ? x.lo : y.lo;
      const hi = x.hi < y.hi ? x.hi : y.hi;
      if (lo <= hi) out.push({ lo, hi });
    }
  }
  return out;
}

function scannerOf(access: Access, requested: string | undefined): string | undefined {
  if (access.kind === 'read') return requested;
  if (requested !== undefined && requested !== access.scanner) {
    throw new HttpError(403, `this token is bound to scanner '${access.scanner}' and may read only its data, not scanner '${requested}'`,
      "read with a token from `server.read_tokens`, which reads every scanner's data");
  }
  return access.scanner;
}

function networksOf(access: Access, requested: IpRange[] | undefined): IpRange[] | undefined {
  const bound = access.kind === 'read' ? access.networks : null;
  if (bound === null) return requested;
  if (requested === undefined || requested.length === 0) return bound;
  const both = intersectRanges(requested, bound);
  return both.length > 0 ? both : [NOWHERE];
}

/** The filter narrowed to what the token may read: `filter` with its scanner and networks replaced. */
export function readScope<F extends Scope>(access: Access, filter: F): F {
  return { ...filter, scanner: scannerOf(access, filter.scanner), networks: networksOf(access, filter.networks) };
}
