import { EXIT, type Io, type Action, type GlobalOptions } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { networksOption, portsOption } from '../common/query-options';
import { agentByName, checkScannerName, ingestStream, type IngestSummary } from '../delta-reporter/ingest';
import { openInput } from '../input-agents/open-input';
import { coolPartThreads, warmPartThreads } from '../delta-reporter/parse-in-parts';
import { describeError, UsageError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { progress } from './progress';

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

export const run: Action = async (files, opts, global, io) => {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (stdin) can be given only once");
  const format = textOpt(opts, 'format');
  const scanner = textOpt(opts, 'scanner');
  if (format) agentByName(format);
  if (scanner) checkScannerName(scanner);
  const scope = networksOption(listOpt(opts, 'scope'), '--scope');
  const ports = portsOption(textOpt(opts, 'ports'));
  const exitCode = flagOpt(opts, 'exitCode');
  // A big file is read by threads that start while the configuration and the store are loaded.
  warmPartThreads();
  try {
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

function ingestFiles(files: string[], { format, scanner, scope, ports, exitCode }: IngestChoices, global: GlobalOptions, io: Io): Promise<number> {
  return withContext(global, async ({ db, config }) => {
    const results: Array<IngestSummary | FailedIngest> = [];
    for (const file of files) {
      const source = file === '-' ? '-' : file;
      try {
        const { head, rest, size } = await openInput(file, io.stdin, { maxDecompressed: config.server.max_body });
        const shown = progress(safeText(source), size, io.progress);
        const s = await ingestStream(db, head, rest, {
          source, scanner, format, scope, ports, scanners: config.scanners,
          onProgress: (bytes, hosts, phase) => shown.update(bytes, hosts, phase),
        }).finally(() => shown.done());
        results.push(s);
        if (!global.json) report(io, s);
      } catch (err) {
        const message = describeError(err);
        results.push({ source, status: 'failed', error: message });
        io.err(`portdelta: ${message.startsWith(safeText(source)) ? '' : `${safeText(source)}: `}${message}\n  nothing of this file was stored\n`);
      }
    }
    if (global.json) io.out(JSON.stringify(results, null, 2) + '\n');
    if (results.some((r) => r.status === 'failed')) return EXIT.error;
    const found = results.some((r) => r.status === 'applied' && r.change_count > 0);
    return exitCode && found ? EXIT.changesFound : EXIT.ok;
  });
}

function report(io: Io, s: IngestSummary): void {
  io.out(summaryLine(s) + '\n');
  for (const w of s.warnings) io.err(`  warning: ${safeText(w)}\n`);
}
