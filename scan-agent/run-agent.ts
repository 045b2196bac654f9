// One run of the agent, each step logged: expire the cache, send what an earlier run kept, find the
// subnets (config and/or phpIPAM, cached), scan each with nmap into the outbox, send the outbox.
import { describeError } from '../common/errors';
import { parseTarget } from '../common/ip';
import { usesPhpipam, type AgentConfig } from './config';
import { DiskCache } from './disk-cache';
import { HttpClient } from './http-client';
import { defaultNmapArgs, nmapArgv, scanToGzipFile } from './nmap-runner';
import { Outbox } from './outbox';
import { OutboxLock } from './outbox-lock';
import { PhpipamClient } from './phpipam';
import { CREDENTIALS_REMEDY, flushOutbox, uploadUrl, type FlushResult } from './uploader';

export interface AgentSummary {
  agent: string;
  subnets: string[];
  scanned: number;
  scan_failures: number;
  sent: number;
  kept: number;
  rejected: number;
  /** The server answered 401/403: the reports are kept until auth_token is fixed. */
  credentials_refused: boolean;
  phpipam_requests: number;
  ok: boolean;
}

interface Target {
  cidr: string;
  label: string;
}

async function findTargets(cfg: AgentConfig, http: HttpClient, cache: DiskCache, log: (m: string) => void): Promise<{ targets: Target[]; client: PhpipamClient | null }> {
  const targets: Target[] = (cfg.subnets ?? []).map((cidr) => ({ cidr, label: `config ${cidr}` }));
  if (!usesPhpipam(cfg)) return { targets, client: null };
  const client = new PhpipamClient(cfg, http, cache, (m) => log(`phpIPAM: ${m}`));
  const id = await client.agentId();
  log(`phpIPAM: this agent ('${cfg.scanagent_code}') has id ${id}`);
  for (const s of await client.subnets(id)) {
    const cidr = `${s.subnet}/${s.mask}`;
    if (!parseTarget(cidr)) {
      log(`phpIPAM: subnet ${s.id} '${cidr}' is not a CIDR; skipped`);
      continue;
    }
    const known = await client.addresses(String(s.id));
    log(`phpIPAM: subnet ${s.id} ${cidr}: ${known.length} address(es) recorded in phpIPAM`);
    if (!targets.some((t) => t.cidr === cidr)) targets.push({ cidr, label: `phpIPAM subnet ${s.id} ${cidr}` });
  }
  return { targets, client };
}

/** One run, holding the outbox's lock from start to end (one run at a time per outbox). */
export async function runAgent(cfg: AgentConfig, log: (msg: string) => void): Promise<AgentSummary> {
  const name = cfg.scanner ?? cfg.scanagent_code ?? 'agent';
  const http = new HttpClient(cfg.ca_file);
  log(`start: agent '${name}', uploads to ${uploadUrl(cfg).origin}, cache ${cfg.cache_dir}, outbox ${cfg.outbox_dir}`);
  const lock = OutboxLock.acquire(cfg.outbox_dir, log);
  try {
    return await runLocked(cfg, name, http, log);
  } finally {
    lock.release();
  }
}

async function runLocked(cfg: AgentConfig, name: string, http: HttpClient, log: (msg: string) => void): Promise<AgentSummary> {
  const cache = new DiskCache(cfg.cache_dir, cfg.cache_expire_time, cfg.epoch_time_offset);
  const outbox = new Outbox(cfg.outbox_dir);
  const summary: AgentSummary = { agent: name, subnets: [], scanned: 0, scan_failures: 0, sent: 0, kept: 0, rejected: 0, credentials_refused: false, phpipam_requests: 0, ok: false };
  const stale = outbox.removeStaleParts();
  if (stale.length) log(`outbox: removed ${stale.length} unfinished report(s) of a killed run: ${stale.join(', ')}`);

  const expired = cache.expire();
  log(`cache: ${expired.length ? `expired ${expired.join(', ')}` : 'nothing expired'}`);

  const count = (r: FlushResult) => {
    summary.sent += r.sent;
    summary.rejected += r.rejected;
    summary.credentials_refused ||= r.credentialsRefused;
  };
  const waiting = outbox.pending().length;
  if (waiting > 0) {
    log(`outbox: sending ${waiting} report(s) kept by an earlier run`);
    count(await flushOutbox(cfg, http, outbox, log));
  }

  let targets: Target[] = [];
  let phpipamFailed = false;
  try {
    const found = await findTargets(cfg, http, cache, log);
    targets = found.targets;
    summary.phpipam_requests = found.client?.requests ?? 0;
  } catch (err) {
    phpipamFailed = true;
    log(`phpIPAM: ${describeError(err)}`);
    targets = (cfg.subnets ?? []).map((cidr) => ({ cidr, label: `config ${cidr}` }));
  }
  summary.subnets = targets.map((t) => t.cidr);
  log(`targets: ${targets.length ? targets.map((t) => t.cidr).join(', ') : 'none'}`);

  const options = cfg.nmap_args ?? defaultNmapArgs();
  for (const t of targets) {
    const argv = nmapArgv(options, t.cidr);
    const { name: report, part } = outbox.newReport(t.cidr);
    log(`scan ${t.label}: ${cfg.nmap_path} ${argv.join(' ')}`);
    try {
      await scanToGzipFile(cfg.nmap_path, argv, part);
      outbox.commit(part, report);
      summary.scanned++;
      log(`scan ${t.cidr}: done, report ${report}`);
    } catch (err) {
      outbox.discard(part);
      summary.scan_failures++;
      log(`scan ${t.cidr}: ${describeError(err)}`);
    }
  }

  // Tonight's scans are kept either way; with refused credentials they wait for a fixed auth_token.
  if (summary.credentials_refused) log(`outbox: not sending again in this run: ${CREDENTIALS_REMEDY}`);
  else count(await flushOutbox(cfg, http, outbox, log));
  summary.kept = outbox.pending().length;
  summary.ok = !phpipamFailed && summary.scan_failures === 0 && summary.kept === 0 && summary.rejected === 0;
  log(`done: ${summary.scanned} scanned, ${summary.sent} sent, ${summary.kept} kept, ${summary.rejected} refused${summary.credentials_refused ? `; the server refused the credentials: ${CREDENTIALS_REMEDY}` : ''}`);
  return summary;
}
