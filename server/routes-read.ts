// The read API: the same rows, filters and messages as `changes --json`, `state --json` and
// `hosts --json`. A read token sees every scanner; an upload token only its own (readScope).
import { listChanges, listHosts, listOpenPorts } from '../db/query-repo';
import { changeFilter, scannerNetFilter } from '../common/query-options';
import { canonicalIp, ipKey } from '../common/ip';
import { HttpError } from './http-error';
import { readScope, type Access } from './auth';
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
  const scanner = readScope(access, q.scanner as string | undefined);
  const filter = changeFilter({ since: q.since as string, afterId: q.after_id as string, scanner, type: q.type as string, network: q.network as string[] });
  return { status: 200, body: await listChanges(ctx.db.knex, filter) };
}

export async function getState(url: URL, ctx: ServerContext, access: Access): Promise<Answer> {
  const q = query(url, ['scanner'], ['network']);
  const scanner = readScope(access, q.scanner as string | undefined);
  return { status: 200, body: await listOpenPorts(ctx.db.knex, scannerNetFilter({ scanner, network: q.network as string[] })) };
}

/** One host as every scanner (in scope) sees it: its `hosts --json` rows and its open ports (`state --json` rows). */
export async function getHost(url: URL, ctx: ServerContext, access: Access, rawIp: string): Promise<Answer> {
  const q = query(url, ['scanner']);
  const scanner = readScope(access, q.scanner as string | undefined);
  const ip = canonicalIp(rawIp);
  if (!ip) throw new HttpError(400, `'${rawIp}' is not an IP address`, 'use /api/v1/hosts/10.66.1.10 or /api/v1/hosts/fd00::1');
  const key = ipKey(ip);
  const filter = { scanner, networks: [{ lo: key, hi: key }] };
  const hosts = await listHosts(ctx.db.knex, filter);
  if (hosts.length === 0) throw new HttpError(404, `no scanner knows host ${ip}`, 'check the address, or GET /api/v1/state for the known hosts');
  return { status: 200, body: { ip, hosts, ports: await listOpenPorts(ctx.db.knex, filter) } };
}
