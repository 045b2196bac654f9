// The part every API stand-in shares (phpipam-api.ts, netbox-api.ts): a real HTTP or HTTPS server on
// 127.0.0.1 that records every request (method, path, query, the auth headers, the JSON body) and
// can be made to fail: every request answered with a status (5xx), answered only after n more
// successes (a failure midway through a run), or never answered at all (a timeout).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body; undefined without one; the raw text when it is not JSON. */
  body: unknown;
  /** The status answered; 0: none (hanging). */
  status: number;
}

export interface Answer {
  status: number;
  body?: unknown;
}

export type Handler = (req: Recorded) => Answer;

export interface ApiStandin {
  url: string;
  requests: Recorded[];
  /** Every request from now on answered with this status (and `body`), until recover(). */
  failWith(status: number, body?: unknown): void;
  /** The next `n` requests are served, then every one fails with `status` (and `body`). */
  failAfter(n: number, status: number, body?: unknown): void;
  /** Requests are read and never answered (the client's timeout). */
  hang(): void;
  recover(): void;
  /** The writing requests so far (POST, PATCH, PUT, DELETE) that were served. */
  writes(): Recorded[];
  close(): Promise<void>;
}

export async function startApiStandin(handler: Handler, pki?: { cert: string; key: string }): Promise<ApiStandin> {
  let failure: { status: number; body?: unknown; after: number } | 'hang' | null = null;
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown = text === '' ? undefined : text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // kept as text: the handler refuses it
      }
      const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body, status: 0 };
      requests.push(rec);
      if (failure === 'hang') return;
      let answer: Answer;
      if (failure && failure.after <= 0) answer = { status: failure.status, body: failure.body };
      else {
        if (failure) failure.after--;
        answer = handler(rec);
      }
      rec.status = answer.status;
      res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  };
  const server = pki ? https.createServer({ cert: fs.readFileSync(pki.cert), key: fs.readFileSync(pki.key) }, serve) : http.createServer(serve);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${pki ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    failWith: (status, body) => void (failure = { status, body, after: 0 }),
    failAfter: (n, status, body) => void (failure = { status, body, after: n }),
    hang: () => void (failure = 'hang'),
    recover: () => void (failure = null),
    writes: () => requests.filter((r) => r.method !== 'GET' && r.status >= 200 && r.status < 300),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
