// JSON over HTTPS for the inventory kinds (phpipam, netbox): certificates always verified, a private
// CA added by ca_file, one request at a time and at most `rate` a second (an IPAM is a shared
// production system, not a sink), a timeout per request. Any failure is a DeliveryError whose
// message names scheme://host:port and the path, never the token; the run gives its claims back.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { DeliveryError } from '../common/errors';
import { safeText } from '../common/safe-text';

export interface ApiSettings {
  /** The API's base URL; paths are appended to it. */
  base: string;
  /** The authentication header(s): `token` (phpIPAM), `Authorization: Token …` (NetBox). */
  auth: Record<string, string>;
  /** PEM file of a private CA, added to the public ones. */
  caFile?: string;
  timeoutMs: number;
  /** Requests per second at most. */
  rate: number;
  /** The peer's name in messages ('phpIPAM', 'NetBox'). */
  peer: string;
  /** What to check when the peer refuses the token or the permission. */
  authRemedy: string;
}

export interface ApiAnswer {
  status: number;
  /** The parsed JSON body; null when there was none or it was not JSON. */
  body: unknown;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Adding a CA must not drop the public ones: Node's `ca` replaces the defaults. */
function caList(caFile: string | undefined, peer: string): string[] | undefined {
  if (!caFile) return undefined;
  try {
    return [...tls.rootCertificates, fs.readFileSync(caFile, 'utf8')];
  } catch (e) {
    throw new DeliveryError(`cannot read the ca_file ${caFile} for ${peer}: ${(e as Error).message}`, { cause: e, remedy: 'give the PEM file of the CA that signed the server\'s certificate as ca_file' });
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|UNABLE_TO_GET_ISSUER/;

export class ApiClient {
  /** Requests sent in this run (for the log line). */
  requests = 0;
  private readonly ca?: string[];
  private readonly origin: string;
  private nextAt = 0;

  constructor(private readonly s: ApiSettings) {
    this.ca = caList(s.caFile, s.peer);
    const u = new URL(s.base);
    this.origin = `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  }

  /** The answer to one request; a network failure, a timeout or a 5xx throws, other statuses are the caller's. */
  async send(method: Method, path: string, body?: unknown): Promise<ApiAnswer> {
    await this.pace();
    const url = new URL(this.s.base.replace(/\/+$/, '') + path);
    const where = `${this.s.peer} ${method} ${this.origin}${url.pathname}`;
    this.requests++;
    const answer = await this.exchange(method, url, body).catch((e: NodeJS.ErrnoException) => {
      throw this.networkError(where, e);
    });
    if (answer.status >= 500) {
      throw new DeliveryError(`${where} answered ${answer.status}${this.said(answer.body)}`, { remedy: `${this.s.peer} failed: check its state and logs; the changes are retried on the next run` });
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new DeliveryError(`${where} answered ${answer.status}${this.said(answer.body)}`, { remedy: this.s.authRemedy });
    }
    return answer;
  }

  /** Like send, and anything but 2xx is a failure. */
  async ok(method: Method, path: string, body?: unknown): Promise<unknown> {
    const a = await this.send(method, path, body);
    if (a.status < 200 || a.status > 299) {
      throw new DeliveryError(`${this.s.peer} ${method} ${this.origin}${path} answered ${a.status}${this.said(a.body)}`, { remedy: `check what ${this.s.peer} says; the changes are retried on the next run` });
    }
    return a.body;
  }

  /** The peer's own message, short, control characters shown escaped, and without our token should it echo it. */
  private said(body: unknown): string {
    const b = body as { message?: unknown; detail?: unknown } | null;
    let text = b && typeof b === 'object' ? String(b.message ?? b.detail ?? JSON.stringify(b)) : '';
    for (const value of Object.values(this.s.auth)) {
      for (const secret of [value, value.replace(/^\S+ /, '')].filter((v) => v.length >= 6)) text = text.split(secret).join('…');
    }
    return text ? `: ${safeText(text).slice(0, 200)}` : '';
  }

  private async pace(): Promise<void> {
    const wait = this.nextAt - Date.now();
    if (wait > 0) await sleep(wait);
    this.nextAt = Math.max(Date.now(), this.nextAt) + 1000 / this.s.rate;
  }

  private exchange(method: Method, url: URL, body: unknown): Promise<ApiAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'portdelta', ...this.s.auth };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
    const options: https.RequestOptions = { method, headers, timeout: this.s.timeoutMs, ...(this.ca ? { ca: this.ca } : {}) };
    return new Promise((resolve, reject) => {
      // rejectUnauthorized stays true: a certificate that does not verify ends the request.
      const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            // not JSON: the status decides
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.s.timeoutMs / 1000}s`), { code: 'TIMEOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private networkError(where: string, e: NodeJS.ErrnoException): DeliveryError {
    if (TLS_CODES.test(e.code ?? '')) {
      return new DeliveryError(`${where}: TLS certificate not accepted: ${e.message}`, { cause: e, remedy: 'give the CA that signed the server\'s certificate as ca_file; certificates are always verified' });
    }
    if (e.code === 'TIMEOUT') return new DeliveryError(`${where}: ${e.message}`, { cause: e, remedy: `check that ${this.s.peer} answers; raise the agent's timeout if it is only slow` });
    return new DeliveryError(`${where} failed: ${e.message}`, { cause: e, remedy: `check api_url (host, port, scheme) and that ${this.s.peer} is up and reachable from this machine` });
  }
}
