import { EXIT, type Io, type Action, type GlobalOptions } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { loadCommandConfig } from './command-config';
import type { Config } from '../config/config';
import type { Db } from '../db/connection';
import { networksOption, portsOption } from '../common/query-options';
import { ingestStarted, startIngest, type IngestSummary, type StartedIngest } from '../delta-reporter/ingest';
import { agentByName, checkScannerName } from '../delta-reporter/scan-file';
import { openInput } from '../input-agents/open-input';
import { coolPartThreads } from '../delta-reporter/part-threads';
import { describeError, UsageError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { progress, type Progress } from './progress';

export function summaryLine(s: IngestSummary): string {
  const changes = Object.entries(s.changes).map(([k, n]) => `${n} ${k}`).join(', ') || 'no changes';
  const status = s.status === 'applied' ? (s.complete ? 'applied' : 'applied (incomplete scan)') : s.status;
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  // An incomplete scan already says so; a complete one that could not conclude absence says why.
  const blind = s.status === 'applied' && s.complete && !s.absence.hosts && !s.absence.ports ? '; no absence concluded (scope unknown)' : '';
  const damaged = s.skipped_records > 0 ? `; ${n(s.skipped_records, 'damaged record')} skipped` : '';
  const baseline = s.baseline ? ' (baseline: the first scan of this scanner)' : '';
  return `${safeText(s.source)}: ${status} as scan ${s.scan_id} of ${s.scanner} (${s.format}), ${n(s.hosts_up, 'host')} up, ${n(s.ports_open, 'open port')}; ${changes}${baseline}${blind}${damaged}`;
}

export interface FailedIngest {
  source: string;
  status: 'failed';
  error: string;
}

// The parse threads were started when the command was chosen (cli/commands.ts); those no file took end here.
export const run: Action = async (files, opts, global, io) => {
  try {
    if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (stdin) can be given only once");
    const format = textOpt(opts, 'format');
    const scanner = textOpt(opts, 'scanner');
    if (format) agentByName(format);
    if (scanner) checkScannerName(scanner);
    const scope = networksOption(listOpt(opts, 'scope'), '--scope');
    const ports = portsOption(textOpt(opts, 'ports'));
    const exitCode = flagOpt(opts, 'exitCode');
    return await ingestFiles(files, { format, scanner, scope, ports, exitCode }, global, io);
  } finally {
    await coolPartThreads();
  }
};

interface IngestChoices {
  format: string | undefined;
  scanner: string | undefined;
  scope: ReturnType<typeof networksOption>;
  ports: ReturnType<typeof portsOption>;
  exitCode: boolean;
}

/** A file opened and its parse begun, or why it could not be (reported in the file's turn). */
type Begun = { source: string; started: StartedIngest; shown: Progress } | { source: string; error: unknown };

async function begin(source: string, c: IngestChoices, config: Config, io: Io): Promise<Begun> {
  try {
    const { head, rest, size } = await openInput(source, io.stdin, { maxDecompressed: config.server.max_body });
    const shown = progress(safeText(source), size, io.progress);
    try {
      const started = startIngest(head, rest, {
        source, scanner: c.scanner, format: c.format, scope: c.scope, ports: c.ports, scanners: config.scanners,
        onProgress: (bytes, hosts, phase) => shown.update(bytes, hosts, phase),
      });
      return { source, started, shown };
    } catch (err) {
      shown.done();
      throw err;
    }
  } catch (error) {
    return { source, error };
  }
}

async function ingestFiles(files: string[], c: IngestChoices, global: GlobalOptions, io: Io): Promise<number> {
  const loaded = loadCommandConfig(global);
  // The first file's parse begins before the store is opened: the database driver takes 70 ms
  // and more to load (a blocking require) and the store as long to open, which the parse threads
  // use. So the driver is loaded here, once they have their parts in hand. Not so for stdin: a
  // scan piped in may take hours to send its first megabytes, and a store that cannot be opened
  // must be said at once.
  const first = files[0] === '-' ? null : await begin(files[0], c, loaded.config, io);
  let handedOver = false;
  try {
    if (first && 'started' in first) await first.started.primed();
    const { withStore } = await import('./context');
    return await withStore(global, loaded, ({ db, config }) => {
      handedOver = true;
      const next = (file: string) => begin(file, c, config, io);
      return ingestEach({ files, begun: (i) => (i === 0 && first ? Promise.resolve(first) : next(files[i])), db, global, io, exitCode: c.exitCode });
    });
  } catch (err) {
    // The store could not be opened: the first file's parse is stopped and the file let go.
    if (!handedOver && first && 'started' in first) {
      first.shown.done();
      await first.started.abandon();
    }
    throw err;
  }
}

interface Each {
  files: string[];
  /** The i-th file opened and begun (the first may have been before the store was open). */
  begun: (i: number) => Promise<Begun>;
  db: Db;
  global: GlobalOptions;
  io: Io;
  exitCode: boolean;
}

async function ingestEach({ files, begun, db, global, io, exitCode }: Each): Promise<number> {
  const results: Array<IngestSummary | FailedIngest> = [];
  for (let i = 0; i < files.length; i++) {
    const b = await begun(i);
    try {
      if ('error' in b) throw b.error;
      const s = await ingestStarted(db, b.started).finally(() => b.shown.done());
      results.push(s);
      if (!global.json) report(io, s);
    } catch (err) {
      const message = describeError(err);
      results.push({ source: b.source, status: 'failed', error: message });
      io.err(`portdelta: ${message.startsWith(safeText(b.source)) ? '' : `${safeText(b.source)}: `}${message}\n  nothing of this file was stored\n`);
    }
  }
  if (global.json) io.out(JSON.stringify(results, null, 2) + '\n');
  if (results.some((r) => r.status === 'failed')) return EXIT.error;
  const found = results.some((r) => r.status === 'applied' && r.change_count > 0);
  return exitCode && found ? EXIT.changesFound : EXIT.ok;
}

function report(io: Io, s: IngestSummary): void {
  io.out(summaryLine(s) + '\n');
  for (const w of s.warnings) io.err(`  warning: ${safeText(w)}\n`);
}
