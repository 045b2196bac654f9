// The read API: the same rows, filters and messages as `changes --json`, `state --json` and
// `hosts --json`. Every filter passes through readScope: an upload token sees only its scanner, a
// read token bound to networks only those networks.
import { listChanges, listHosts, listOpenPorts } from '../db/query-repo';
import { changeFilter, scannerNetFilter } from '../common/query-options';
import { canonicalIp, ipKey } from '../common/ip';
import { HttpError } from './http-error';
import type { Access } from './auth';
import { readScope } from './read-scope';
import type { ServerContext } from './context';
import type { Answer } from './routes-scans';

/** Query parameters as option values; an unknown or repeated single-valued parameter is a 400. */
function query(url: URL, single: readonly string[], multi: readonly string[] = []): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (multi.includes(key)) out[key] = values;
    else if (!single.includes(key)) throw new HttpError(400, `unknown parameter '${key}'`, `use ${[...single, ...multi].join(', ') || 'no parameters'}`);
    else if (values.length > 1) throw new HttpError(400, `parameter '${key}' given ${values.length} times`, 'give it once');
    else out[key] = values[0];
  }
  return out;
}

export async function getChanges(url: URL, ctx: ServerContext, access: Access): Promise<Answer> {
  const q = query(url, ['since', 'after_id', 'scanner', 'type'], ['network']);
  const asked = changeFilter({ since: q.since as string, afterId: q.after_id as string, scanner: q.scanner as string, type: q.type as string, network: q.network as string[] });
  const filter = readScope(access, asked);
  return { status: 200, body: await listChanges(ctx.db.knex, filter) };
}

export async function getState(url: URL, ctx: ServerContext, access: Access): Promise<Answer> {
  const q = query(url, ['scanner'], ['network']);
  const filter = readScope(access, scannerNetFilter({ scanner: q.scanner as string | undefined, network: q.network as string[] }));
  return { status: 200, body: await listOpenPorts(ctx.db.knex, filter) };
}

/** One host as every scanner (in scope) sees it: its `hosts --json` rows and its open ports (`state --json` rows). */
export async function getHost(url: URL, ctx: ServerContext, access: Access, rawIp: string): Promise<Answer> {
  const q = query(url, ['scanner']);
  const ip = canonicalIp(rawIp);
  if (!ip) throw new HttpError(400, `'${rawIp}' is not an IP address`, 'use /api/v1/hosts/10.66.1.10 or /api/v1/hosts/fd00::1');
  const key = ipKey(ip);
  const filter = readScope(access, { scanner: q.scanner as string | undefined, networks: [{ lo: key, hi: key }] });
  const hosts = await listHosts(ctx.db.knex, filter);
  if (hosts.length === 0) throw new HttpError(404, `no scanner knows host ${ip}`, 'check the address, or GET /api/v1/state for the known hosts');
  return { status: 200, body: { ip, hosts, ports: await listOpenPorts(ctx.db.knex, filter) } };
}
