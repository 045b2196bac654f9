// Kind `phpipam`: the server half of the phpIPAM scan agent, through phpIPAM's REST API instead of
// SQL into its MySQL. Per run it reads the subnets once and the addresses of the subnets the run
// touches, then writes only what differs (phpipam-plan.ts): lastSeen and MAC of the hosts the
// run's scans saw up, hostnames on a PTR change (opt-in), new addresses (opt-in), a tag or custom
// field for a gone host (opt-in), each subnet's lastDiscovery. Bodies are JSON; nothing from the
// network ever becomes part of a path. Every write is idempotent, so a run that failed midway is
// simply repeated by the next.
import { z } from 'zod';
import { DeliveryError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { timezone } from '../common/scanner-config';
import { ApiClient } from './api-client';
import { apiUrl, connectionKeys, resolveCa, secret } from './inventory-options';
import { parseWith } from './kind-options';
import { located, plan, subnetsFor, type PhpAddress, type PhpSubnet, type Plan } from './phpipam-plan';
import type { DeliveryDeps, OutputAgent, OptionsContext } from './types';

const schema = z
  .object({
    api_url: apiUrl,
    client_name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the API app id: letters, digits, _ and -'),
    client_token: secret,
    ...connectionKeys,
    create_addresses: z.boolean().default(false),
    update_hostname: z.boolean().default(false),
    host_gone: z
      .union([
        z.object({ tag: z.number().int().min(1) }).strict(),
        z.object({ field: z.string().regex(/^custom_[A-Za-z0-9_]{1,58}$/, 'a phpIPAM custom field: custom_<name>'), value: z.string().max(255).default('gone') }).strict(),
      ], { errorMap: () => ({ message: 'give { tag: <ipTags id> } or { field: custom_<name>, value: <text> }' }) })
      .optional(),
    up_tag: z.number().int().min(1).default(2),
    timezone: timezone.default('UTC'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.host_gone && 'tag' in o.host_gone && o.host_gone.tag === o.up_tag) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['host_gone', 'tag'], message: `the tag of a gone host must differ from up_tag (${o.up_tag}), the one an address gets when its host is up` });
    }
  });
type Raw = z.output<typeof schema>;
export type PhpipamOptions = Raw & { caPath?: string };

interface Answer {
  success?: boolean;
  data?: unknown;
}

/** phpIPAM's list answer: its rows, or none for its own 404 "not found" (a web server's 404 means api_url is wrong). */
async function list<T>(api: ApiClient, path: string): Promise<T[]> {
  const a = await api.send('GET', path);
  const body = a.body as Answer | null;
  if (a.status === 404 && body?.success === false) return [];
  if (a.status !== 200 || body?.success !== true) {
    throw new DeliveryError(`phpIPAM GET ${path} answered ${a.status}`, { remedy: 'check api_url (the phpIPAM base URL) and client_name (the API app id)' });
  }
  return Array.isArray(body.data) ? (body.data as T[]) : [];
}

function client(o: PhpipamOptions): ApiClient {
  const base = o.api_url.replace(/\/+$/, '');
  // api_url may be phpIPAM's address or already its API path for this app.
  const app = base.endsWith(`/api/${o.client_name}`) ? base : `${base}/api/${o.client_name}`;
  return new ApiClient({
    base: app,
    auth: { token: o.client_token },
    caFile: o.caPath,
    timeoutMs: o.timeout,
    rate: o.rate,
    peer: 'phpIPAM',
    authRemedy: 'check client_name and client_token, and that the API app has read/write permission (docs/phpipam.md)',
  });
}

async function write(api: ApiClient, p: Plan): Promise<number> {
  let created = 0;
  for (const w of p.patches) await api.ok('PATCH', `/addresses/${encodeURIComponent(w.id)}/`, w.body);
  for (const body of p.creates) {
    const a = await api.send('POST', '/addresses/', body);
    // 409: the address is there already (another run, a person): nothing to create.
    if (a.status === 409) continue;
    if (a.status !== 201 && a.status !== 200) {
      throw new DeliveryError(`phpIPAM POST /addresses/ for ${String(body.ip)} answered ${a.status}`, { remedy: 'check the subnet in phpIPAM and the API app\'s permissions' });
    }
    created++;
  }
  for (const s of p.subnets) await api.ok('PATCH', `/subnets/${encodeURIComponent(s.id)}/`, s.body);
  return created;
}

function withCa(o: Raw, ctx?: OptionsContext): PhpipamOptions {
  return { ...o, caPath: resolveCa(o.ca_file, ctx) };
}

export const phpipamAgent: OutputAgent<PhpipamOptions> = {
  kind: 'phpipam',
  baselineChanges: true,
  parseOptions(raw, ctx) {
    const r = parseWith(schema, raw, ctx);
    return r.errors ? r : { value: withCa(r.value, ctx) };
  },
  async deliver(batch, options, deps: DeliveryDeps) {
    const changes = batch.changes.filter((c) => c.ip !== null);
    // A first scan taken as a summary (include_baseline: false) still refreshes its hosts' sightings.
    const scans = [...new Set([...changes.map((c) => c.scan_id), ...(batch.baselines ?? []).map((b) => b.scan_id)])];
    if (!scans.length) return;
    const api = client(options);
    const seen = deps.hostsSeen ? await deps.hostsSeen(scans) : [];
    const subnets = located(await list<PhpSubnet>(api, '/subnets/'));
    const addresses: PhpAddress[] = [];
    for (const s of subnetsFor(changes, seen, subnets)) addresses.push(...(await list<PhpAddress>(api, `/subnets/${encodeURIComponent(String(s.id))}/addresses/`)));
    const p = plan(changes, seen, subnets, addresses, options);
    const created = await write(api, p);
    for (const name of p.refusedNames) deps.log(`phpIPAM: hostname ${safeText(name)} not written: not a plain DNS name`);
    deps.log(`phpIPAM: ${p.patches.length} addresses updated, ${created} created, ${p.subnets.length} subnets' discovery time set (${api.requests} requests)`);
  },
};
