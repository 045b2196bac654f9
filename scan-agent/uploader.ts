// Sends the outbox to `portdelta serve` (POST {http_server}:{http_port}/api/v1/scans), oldest first,
// each report once: removed after a 2xx, set aside when the server refuses that report itself
// (400, 413, 415), kept otherwise. A 401/403 is about the agent's credentials, not the report: every
// report stays and the flush stops, so a rotated token loses nothing.
import fs from 'node:fs';
import { describeError } from '../common/errors';
import { DEFAULT_HTTP_PORT, explicitPort, type AgentConfig } from './config';
import type { HttpClient } from './http-client';
import type { Outbox } from './outbox';

/** http_server with its own port, else with http_port (default 5000); config validation refuses a conflict. */
export function uploadUrl(cfg: AgentConfig): URL {
  const u = new URL(cfg.http_server);
  if (explicitPort(cfg.http_server) === null) u.port = String(cfg.http_port ?? DEFAULT_HTTP_PORT);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1/scans`;
  if (cfg.scanner) u.searchParams.set('scanner', cfg.scanner);
  return u;
}

export interface FlushResult {
  sent: number;
  kept: number;
  rejected: number;
  /** The server answered 401/403: the token (or `scanner`) is wrong, so sending more is pointless. */
  credentialsRefused: boolean;
}

/** The server will never take this report: a bad file (400), too large (413), not a scan (415). */
const REPORT_REFUSED = new Set([400, 413, 415]);
const CREDENTIALS_REFUSED = new Set([401, 403]);
export const CREDENTIALS_REMEDY = "check auth_token (and scanner) in the agent config and the server's server.tokens";

export async function flushOutbox(cfg: AgentConfig, http: HttpClient, outbox: Outbox, log: (msg: string) => void): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, kept: 0, rejected: 0, credentialsRefused: false };
  const url = uploadUrl(cfg);
  const pending = outbox.pending();
  for (const [i, name] of pending.entries()) {
    const file = outbox.path(name);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      log(`upload ${name}: no longer in the outbox (another run sent it); skipped`);
      continue;
    }
    const headers: Record<string, string> = {
      'Content-Type': 'application/xml',
      'Content-Encoding': 'gzip',
      'Content-Length': String(size),
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
    } else if (REPORT_REFUSED.has(status)) {
      const where = outbox.reject(name, `HTTP ${status}: ${text.trim()}`);
      result.rejected++;
      log(`upload ${name}: refused with HTTP ${status} ${summarise(text)}; moved to ${where}`);
    } else if (CREDENTIALS_REFUSED.has(status)) {
      result.kept = pending.length - i;
      result.credentialsRefused = true;
      log(`upload ${name}: HTTP ${status} ${summarise(text)}: the server refused this agent's credentials; ${result.kept} report(s) kept in ${outbox.dir} — ${CREDENTIALS_REMEDY}`);
      return result;
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
    // eslint-disable-next-line no-control-regex
    return `(${parts.join(' ')})`.replace(/[\u0000-\u001f\u007f]/g, ' ');
  } catch {
    // eslint-disable-next-line no-control-regex
    return `(${text.slice(0, 100).replace(/[\u0000-\u001f\u007f]/g, ' ')})`;
  }
}
