// Sends the outbox to `portdelta serve` (POST {http_server}:{http_port}/api/v1/scans), oldest first,
// each report once: removed after a 2xx, set aside after a refusal that no retry can fix, kept otherwise.
import fs from 'node:fs';
import { describeError } from '../common/errors';
import type { AgentConfig } from './config';
import type { HttpClient } from './http-client';
import type { Outbox } from './outbox';

export function uploadUrl(cfg: AgentConfig): URL {
  const u = new URL(cfg.http_server);
  u.port = String(cfg.http_port);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1/scans`;
  if (cfg.scanner) u.searchParams.set('scanner', cfg.scanner);
  return u;
}

export interface FlushResult {
  sent: number;
  kept: number;
  rejected: number;
}

/** 4xx answers that a later try cannot change (408 and 429 can). */
const permanent = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

export async function flushOutbox(cfg: AgentConfig, http: HttpClient, outbox: Outbox, log: (msg: string) => void): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, kept: 0, rejected: 0 };
  const url = uploadUrl(cfg);
  const pending = outbox.pending();
  for (const [i, name] of pending.entries()) {
    const file = outbox.path(name);
    const headers: Record<string, string> = {
      'Content-Type': 'application/xml',
      'Content-Encoding': 'gzip',
      'Content-Length': String(fs.statSync(file).size),
      ...(cfg.auth_token ? { Authorization: `Bearer ${cfg.auth_token}` } : {}),
    };
    let status: number;
    let text: string;
    try {
      const res = await http.request(url, { method: 'POST', headers, body: fs.createReadStream(file), secret: !!cfg.auth_token, timeoutMs: 30 * 60 * 1000 });
      status = res.status;
      text = res.body.toString('utf8');
    } catch (err) {
      result.kept = pending.length - i;
      log(`upload ${name}: ${describeError(err)}; kept with ${result.kept} report(s) in ${outbox.dir} for the next run`);
      return result;
    }
    if (status >= 200 && status < 300) {
      outbox.sent(name);
      result.sent++;
      log(`upload ${name}: HTTP ${status} ${summarise(text)}`);
    } else if (permanent(status)) {
      const where = outbox.reject(name, `HTTP ${status}: ${text.trim()}`);
      result.rejected++;
      log(`upload ${name}: refused with HTTP ${status} ${summarise(text)}; moved to ${where}`);
    } else {
      result.kept = pending.length - i;
      log(`upload ${name}: HTTP ${status} ${summarise(text)}; kept for the next run`);
      return result;
    }
  }
  return result;
}

/** The server's JSON answer in a few words (it is not trusted to be short or printable). */
function summarise(text: string): string {
  try {
    const b = JSON.parse(text) as Record<string, unknown>;
    if (b.error) return `(${String(b.error).slice(0, 300)})`;
    const parts = ['status', 'scanner', 'scan_id', 'change_count', 'file'].filter((k) => b[k] !== undefined).map((k) => `${k}=${String(b[k]).slice(0, 100)}`);
    return `(${parts.join(' ')})`.replace(/[\u0000-\u001f\u007f]/g, ' ');
  } catch {
    return `(${text.slice(0, 100).replace(/[\u0000-\u001f\u007f]/g, ' ')})`;
  }
}
