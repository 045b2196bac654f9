// phpIPAM's REST API as the scan agent uses it (read-only): this agent's id by its code, the subnets
// assigned to it, and their addresses. Answers have phpIPAM's shape {code, success, data|message};
// a 404 with success:false means "none". Each answer is cached (DiskCache).
import { PortdeltaError } from '../common/errors';
import type { DiskCache } from './disk-cache';
import type { HttpClient } from './http-client';

export interface PhpipamSubnet {
  id: string | number;
  subnet: string;
  mask: string | number;
  description?: string | null;
  discoverSubnet?: string | number | null;
  isFolder?: string | number | null;
}

export interface PhpipamAddress {
  id: string | number;
  ip: string;
  hostname?: string | null;
  mac?: string | null;
}

export interface PhpipamSettings {
  api_url: string;
  client_name: string;
  client_token: string;
  scanagent_code: string;
}

export class PhpipamClient {
  requests = 0;

  constructor(
    private readonly cfg: PhpipamSettings,
    private readonly http: HttpClient,
    private readonly cache: DiskCache,
    private readonly log: (msg: string) => void,
  ) {}

  private url(apiPath: string, filter?: [string, string]): URL {
    const base = this.cfg.api_url.replace(/\/+$/, '');
    const u = new URL(`${base}/api/${encodeURIComponent(this.cfg.client_name)}/${apiPath}/`);
    if (filter) {
      u.searchParams.set('filter_by', filter[0]);
      u.searchParams.set('filter_value', filter[1]);
    }
    return u;
  }

  /** The `data` of a phpIPAM answer, null for its "not found" (404, success:false). */
  private async fetch<T>(what: string, u: URL): Promise<T[] | null> {
    this.requests++;
    const res = await this.http.request(u, { headers: { token: this.cfg.client_token, Accept: 'application/json' }, secret: true });
    let body: { code?: number; success?: boolean; data?: T | T[]; message?: string };
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new PortdeltaError('IO', `phpIPAM answered ${what} with HTTP ${res.status} and no JSON`, { remedy: 'check api_url: it must be the phpIPAM base URL (https://ipam.example.org), not a page' });
    }
    if (res.status === 404 && body.success === false) return null;
    if (res.status !== 200 || body.success !== true) {
      throw new PortdeltaError('IO', `phpIPAM refused ${what}: HTTP ${res.status}${body.message ? `, "${String(body.message).slice(0, 200)}"` : ''}`, {
        remedy: 'check client_name (the API app id), client_token and that the API app may read',
      });
    }
    if (body.data === undefined || body.data === null) return [];
    return Array.isArray(body.data) ? body.data : [body.data];
  }

  private async cached<T>(name: string, what: string, u: URL, keepNotFound: boolean): Promise<T[] | null> {
    const hit = this.cache.get<T[]>(name);
    if (hit !== undefined) {
      this.log(`${what}: from the cache (${hit.length})`);
      return hit;
    }
    const data = await this.fetch<T>(what, u);
    this.log(`${what}: phpIPAM answered ${data === null ? 'none' : data.length}`);
    if (data !== null || keepNotFound) this.cache.put(name, what, data ?? []);
    return data;
  }

  async agentId(): Promise<string> {
    const code = this.cfg.scanagent_code;
    const found = await this.cached<{ id: string | number; code?: string }>(`scanagent_code_${code}`, `scan agent '${code}'`, this.url('tools/scanagents', ['code', code]), false);
    const id = found?.find((a) => a.code === undefined || String(a.code) === code)?.id;
    if (id === undefined) {
      throw new PortdeltaError('CONFIG', `phpIPAM knows no scan agent with code '${code}'`, { remedy: 'copy the code from phpIPAM (Administration → Scan agents) into scanagent_code' });
    }
    return String(id);
  }

  /** The subnets assigned to this agent that have "discover new hosts" on (discoverSubnet = 1). */
  async subnets(agentId: string): Promise<PhpipamSubnet[]> {
    const all = (await this.cached<PhpipamSubnet>(`subnets_scanagent_${agentId}`, `subnets of scan agent ${agentId}`, this.url('subnets', ['scanAgent', agentId]), true)) ?? [];
    return all.filter((s) => Number(s.discoverSubnet) === 1 && Number(s.isFolder ?? 0) !== 1);
  }

  async addresses(subnetId: string): Promise<PhpipamAddress[]> {
    const id = encodeURIComponent(subnetId);
    return (await this.cached<PhpipamAddress>(`subnet_${subnetId}_addresses`, `addresses of subnet ${subnetId}`, this.url(`subnets/${id}/addresses`), true)) ?? [];
  }
}
