// `portdelta serve`: the upload API (tokens bound to scanners) and the read API, until SIGTERM.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, type Action } from './io';
import { flagOpt, textOpt } from './options';
import { withContext } from './context';
import { PortdeltaError, UsageError } from '../common/errors';
import { isLoopbackHost, splitHostPort } from '../common/loopback';
import { TokenTable } from '../server/auth';
import { startServer } from '../server/http-server';
import { safeLines } from '../common/safe-text';
import { loadPolicy, policyPath } from '../output-agents/policy';

function readTlsFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new PortdeltaError('CONFIG', `cannot read the TLS ${what} ${file} (server.tls.${what}): ${(e as Error).message}`, {
      remedy: 'check the path and that the user running `portdelta serve` may read it',
    });
  }
}

/**
 * The inbox is the watcher's: serve never creates it, so a mistyped --inbox cannot take uploads
 * that no watcher will ever see. Only its per-scanner folders are made on the first upload.
 */
function checkInbox(dir: string, from: string): void {
  const remedy = `create it (mkdir -p ${dir}), writable by the user running serve, and run \`portdelta watch\` on the same folder; or correct ${from}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(e as Error).message}`;
    throw new UsageError(`the inbox ${dir} (${from}) ${why}`, remedy);
  }
  if (!st.isDirectory()) throw new UsageError(`the inbox ${dir} (${from}) is not a folder`, remedy);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new UsageError(`the inbox ${dir} (${from}) is not writable by this user`, `give the user running serve write access to it (chown or chmod), or correct ${from}`);
  }
}

/** With --ingest, each upload is received into a private folder under $TMPDIR before it is ingested. */
function makeSpool(): string {
  try {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'portdelta-serve-'));
  } catch (e) {
    throw new PortdeltaError('IO', `cannot create the upload spool in ${os.tmpdir()}: ${(e as Error).message}`, {
      remedy: 'with --ingest, serve receives each upload in the temporary folder: set TMPDIR to a folder it may write, or PrivateTmp=yes in its systemd unit (docs/server.md)',
    });
  }
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Resolves with the name of the first SIGTERM or SIGINT (Ctrl-C). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(sig);
    };
    const onTerm = () => on('SIGTERM');
    const onInt = () => on('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

export const run: Action = async (_args, opts, global, io) =>
  withContext(global, async ({ db, config, configFile }) => {
    const listen = textOpt(opts, 'listen') ?? config.server.listen;
    const hp = splitHostPort(listen);
    if (!hp) throw new UsageError(`--listen: '${listen}' is not HOST:PORT`, 'e.g. 0.0.0.0:5000, 127.0.0.1:5000 or [::1]:5000');
    const tokens = new TokenTable(config.server.tokens, config.server.read_tokens);
    const tlsCfg = config.server.tls;
    if (tokens.size > 0 && !tlsCfg && !isLoopbackHost(hp.host)) {
      throw new UsageError(
        `refusing to listen on ${listen} without TLS: the tokens would cross the network in clear`,
        'set server.tls.cert and server.tls.key (docs/server.md, "TLS"), or listen on a loopback address (127.0.0.1:5000) behind a TLS proxy',
      );
    }
    const tls = tlsCfg ? { cert: readTlsFile(tlsCfg.cert, 'cert'), key: readTlsFile(tlsCfg.key, 'key') } : undefined;
    const ingest = flagOpt(opts, 'ingest');
    const inboxOpt = textOpt(opts, 'inbox');
    const inboxFrom = inboxOpt !== undefined ? '--inbox' : '`inbox:` in the config';
    const inbox = inboxOpt ?? config.inbox ?? null;
    if (!ingest && !inbox) throw new UsageError('serve needs an inbox to queue uploads in', 'give --inbox DIR or `inbox:` in the config, or --ingest to ingest each upload at once');
    if (!ingest) checkInbox(path.resolve(inbox!), inboxFrom);
    if (tokens.size === 0) io.err('portdelta: warning: no tokens in server.tokens or server.read_tokens: every request but /healthz (and /metrics with server.metrics_public) will be refused (401)\n');
    // The dashboard's Audit page checks the open ports against it; read now, so a bad file stops the start.
    const policyFile = policyPath(config.policy, configFile);
    const policy = policyFile ? { file: policyFile, policy: loadPolicy(policyFile) } : null;
    const spool = ingest ? makeSpool() : null;
    const log = (line: string) => io.err(safeLines(line) + '\n');
    try {
      const server = await startServer(
        { db, config, tokens, maxBody: config.server.max_body, ingest, inbox: inbox && path.resolve(inbox), spool, policy },
        { host: hp.host, port: hp.port, tls, log },
      ).catch((err: NodeJS.ErrnoException) => {
        throw new PortdeltaError('IO', `cannot listen on ${listen}: ${err.message}`, { remedy: err.code === 'EADDRINUSE' ? 'stop the other server on that port or choose another with --listen' : 'check the address and your permissions' });
      });
      io.err(`portdelta: listening on ${server.url} (${ingest ? 'ingesting each upload' : `queueing uploads in ${path.resolve(inbox!)}`}, ${plural(tokens.count('upload'), 'upload token')}, ${plural(tokens.count('read'), 'read token')})\n`);
      const sig = await untilSignal();
      io.err(`portdelta: ${sig}: closing\n`);
      await server.close();
      return EXIT.ok;
    } finally {
      if (spool) fs.rmSync(spool, { recursive: true, force: true });
    }
  });
