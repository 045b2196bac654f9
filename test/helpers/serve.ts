// Runs `portdelta serve` as operators do and learns its URL from the "listening on" line; or starts
// its server in this process (serveInProcess), for suites that need many requests and no process.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from './cli';
import { openDb, type Db } from '../../db/connection';
import { parseConfig, type Config } from '../../config/config';
import { TokenTable } from '../../server/auth';
import { startServer } from '../../server/http-server';
import { ingestStream, type IngestSummary } from '../../delta-reporter/ingest';
import { openInput } from '../../input-agents/open-input';
import { loadPolicy } from '../../output-agents/policy';

export interface Served {
  url: string;
  /** Everything the server logged so far (one line per request). */
  log(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number>;
}

export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        resolve({
          url: m[1],
          log: () => stderr,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`serve exited ${code} before listening:\n${stderr}`)), reject);
  });
}

/**
 * Waits until the server's log satisfies `ok` (its lines may trail the HTTP answer by a moment, and
 * by seconds on a busy machine); after `ms`, a hang guard, it returns the log as it is.
 */
export async function logWhen(s: Served, ok: (log: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  while (!ok(s.log()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return s.log();
}

/** A server started in this process on a store opened here: what `serve` runs, without a process per suite. */
export interface InProcess {
  url: string;
  db: Db;
  config: Config;
  log(): string;
  /** Closes the server, then the store. */
  stop(): Promise<void>;
}

/** Starts the server of `serve --ingest` over plain HTTP on 127.0.0.1 with the config `yaml` (parsed as a file in the system's temp folder). */
/** `portdelta serve` in this process on `dbUrl` with the config `yaml`; `policy`: the target-state policy file it names. */
export async function serveInProcess(dbUrl: string, yaml: string, policy?: string): Promise<InProcess> {
  const config = parseConfig(yaml, path.join(os.tmpdir(), 'portdelta.yaml'), { uses: ['database', 'scanners', 'server'], command: 'serve' });
  const db = await openDb(dbUrl);
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-spool-'));
  const lines: string[] = [];
  const tokens = new TokenTable(config.server.tokens, config.server.read_tokens);
  const server = await startServer(
    { db, config, tokens, maxBody: config.server.max_body, ingest: true, inbox: null, spool, policy: policy ? { file: policy, policy: loadPolicy(policy) } : null },
    { host: '127.0.0.1', port: 0, log: (l) => lines.push(l) },
  );
  return {
    url: server.url,
    db,
    config,
    log: () => lines.join('\n'),
    stop: async () => {
      await server.close();
      await db.close();
      fs.rmSync(spool, { recursive: true, force: true });
    },
  };
}

/** Ingests a scan file in this process, as `portdelta ingest` does. */
export async function ingestHere(s: InProcess, file: string, scanner: string): Promise<IngestSummary> {
  const { head, rest } = await openInput(file);
  return ingestStream(s.db, head, rest, { source: file, scanner, scanners: s.config.scanners });
}
