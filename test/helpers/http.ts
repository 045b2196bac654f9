// A small HTTP(S) client for tests: the answer's status and body, with a test CA when given.
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';

export interface Reply {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function fetchIt(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: Buffer[]; ca?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const options: https.RequestOptions = { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: fs.readFileSync(opts.ca) } : {}) };
    const req = (u.protocol === 'https:' ? https : http).request(u, options, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        settled = true;
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON: the test looks at text
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    // A server may answer (413, 401) and close before the whole body is sent: that answer counts.
    // It may still be on its way when the write fails, by seconds on a busy machine: the error
    // counts only when no answer came within a generous grace.
    req.on('error', (err) => {
      if (!settled) setTimeout(() => (settled ? undefined : reject(err)), 10_000);
    });
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}
