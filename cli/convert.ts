// `convert`: a native scan file as the uniform CSV on stdout, the step a scanner host runs before
// it copies its results to the central host. Ingesting the CSV gives what ingesting the native
// file gives. The output is held back until the whole file was read, so bad input leaves stdout empty.
import { Readable } from 'node:stream';
import { EXIT, type Action } from './io';
import { listOpt, textOpt } from './options';
import { networksOption, portsOption } from '../common/query-options';
import { Spool } from './spool';
import { safeText } from '../common/safe-text';
import { agentByName, checkScannerName, pickAgent } from '../delta-reporter/scan-file';
import { openInput } from '../input-agents/open-input';
import { scanEventsToUniformCsv } from '../input-agents/portdelta-csv';
import { fileEncoding, utf8Input, type FileEncoding } from '../input-agents/text-encoding';
import { scannerConfig } from '../common/scanner-config';
import { loadCommandConfig } from './command-config';
import { UsageError } from '../common/errors';
import type { IpRange, PortScope, ScanEvent } from '../common/types';

export const run: Action = async (files, opts, global, io) => {
  if (files.length !== 1) throw new UsageError('convert takes exactly one file (or - for stdin)', 'run it once per file: portdelta convert scan.xml > scan.csv');
  const format = textOpt(opts, 'format');
  const scannerOpt = textOpt(opts, 'scanner');
  if (format) agentByName(format);
  const scanner = scannerOpt ? checkScannerName(scannerOpt) : undefined;
  const scope = networksOption(listOpt(opts, 'scope'), '--scope');
  const ports = portsOption(textOpt(opts, 'ports'));
  const source = files[0];
  const config = loadCommandConfig(global).config;
  const { head, rest } = await openInput(source, io.stdin, { maxDecompressed: config.server.max_body });
  let agent: ReturnType<typeof pickAgent>;
  let encoding: FileEncoding;
  try {
    agent = pickAgent(format, head, source);
    encoding = fileEncoding(head, source);
  } catch (err) {
    rest.destroy(); // it holds the file's descriptor
    throw err;
  }
  const sc = scannerConfig(config.scanners, scanner ?? 'default');
  const input = utf8Input(Readable.from((async function* () {
    yield head;
    yield* rest;
  })()), encoding, source);
  const events = agent.parse(input, { source, timezone: sc.timezone, portScope: ports ?? sc.ports });
  const spool = new Spool();
  const warnings: string[] = [];
  try {
    const csv = scanEventsToUniformCsv(withScope(events, scope ?? sc.scope, ports, sc.ports), {
      scanner, onWarning: (w) => warnings.push(w.position ? `${w.position}: ${w.message}` : w.message),
    });
    for await (const text of csv) spool.write(text);
  } catch (err) {
    spool.discard();
    input.destroy();
    throw err;
  }
  spool.flushTo((t) => io.out(t));
  spool.discard();
  for (const w of warnings) io.err(`portdelta: ${safeText(source)}: warning: ${safeText(w)}\n`);
  return EXIT.ok;
};

/**
 * The scope the uniform header will carry. Hosts: --scope, else the scanner's configured scope, else
 * what the file says. Ports: --ports, else the file's, else the configured ports — the order ingest
 * applies, so the CSV ingests as the native file would with the same options and config.
 */
async function* withScope(events: AsyncIterable<ScanEvent>, hosts: IpRange[] | undefined, ports: PortScope | undefined, configPorts: PortScope | undefined): AsyncIterable<ScanEvent> {
  let first = true;
  for await (const ev of events) {
    if (ev.kind !== 'meta') {
      yield ev;
      continue;
    }
    const m = { ...ev };
    if (hosts) m.hostScope = first ? hosts : undefined;
    if (ports) m.portScope = first ? ports : undefined;
    else if (first && !m.portScope && configPorts) m.portScope = configPorts;
    first = false;
    yield m;
  }
}
