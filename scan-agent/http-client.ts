// The agent's one way out: HTTPS with the system's CAs plus an optional private CA (ca_file),
// certificates always verified; plain HTTP only to loopback when a secret goes along.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { PortdeltaError } from '../common/errors';
import { isLoopbackHost } from '../common/loopback';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Readable;
  /** A secret rides in the headers: plain HTTP is then refused except to loopback. */
  secret?: boolean;
  timeoutMs?: number;
}

export class HttpClient {
  private readonly ca?: string[];

  constructor(caFile?: string) {
    if (caFile) {
      let pem: string;
      try {
        pem = fs.readFileSync(caFile, 'utf8');
      } catch (e) {
        throw new PortdeltaError('CONFIG', `cannot read ca_file ${caFile}: ${(e as Error).message}`, { remedy: 'give the PEM file of your private CA (docs/agent.md, "TLS with a private CA")' });
      }
      // Adding a CA must not drop the public ones: Node's `ca` replaces the defaults.
      this.ca = [...tls.rootCertificates, pem];
    }
  }

  request(url: URL, opts: RequestOptions = {}): Promise<HttpAnswer> {
    if (url.protocol === 'http:' && opts.secret && !isLoopbackHost(url.hostname)) {
      return Promise.reject(new PortdeltaError('USAGE', `refusing plain HTTP to ${url.host}: a token would travel in clear`, { remedy: 'use an https:// URL' }));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new PortdeltaError('USAGE', `unsupported URL ${url.protocol}`));
    return new Promise((resolve, reject) => {
      const options: https.RequestOptions = { method: opts.method ?? 'GET', headers: { 'User-Agent': 'portdelta-agent', ...opts.headers }, timeout: opts.timeoutMs ?? 120_000 };
      // rejectUnauthorized stays at its default (true): a certificate that does not verify ends the request.
      const req = url.protocol === 'https:' ? https.request(url, { ...options, ...(this.ca ? { ca: this.ca } : {}) }) : http.request(url, options);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${(options.timeout as number) / 1000} s`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(describeNetError(url, err)));
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', (err) => reject(describeNetError(url, err)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      });
      if (opts.body) {
        opts.body.on('error', (err) => req.destroy(err));
        opts.body.pipe(req);
      } else req.end();
    });
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|UNABLE_TO_GET_ISSUER/;

class NetError extends PortdeltaError {
  constructor(message: string, remedy: string, cause: unknown, readonly tlsProblem: boolean) {
    super('IO', message, { remedy, cause });
  }
}

function describeNetError(url: URL, err: NodeJS.ErrnoException): NetError {
  const where = `${url.protocol}//${url.host}`;
  if (TLS_CODES.test(err.code ?? '')) {
    return new NetError(`TLS certificate of ${where} not accepted: ${err.message} (${err.code})`, 'give the CA that signed the server certificate as ca_file; certificates are always verified', err, true);
  }
  return new NetError(`cannot reach ${where}: ${err.message}`, 'check that the server runs and the URL and port are right', err, false);
}
