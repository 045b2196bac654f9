// `portdelta diff A B`: what changed from scan A to scan B of one scanner, by portdelta's rules,
// without a database (delta-reporter/diff.ts). Exit 0: no change; 1: changes; 2: error (like ndiff).
import { EXIT, type Action, type Io } from './io';
import { listOpt, textOpt } from './options';
import { loadCommandConfig } from './command-config';
import { networksOption, portsOption } from '../common/query-options';
import type { IngestSummary } from '../delta-reporter/ingest';
import { agentByName, checkScannerName } from '../delta-reporter/scan-file';
import { diffFiles, type DiffResult } from '../delta-reporter/diff';
import type { Suppression } from '../delta-reporter/suppression';
import { describeChange } from '../common/describe';
import { safeText } from '../common/safe-text';
import { json, table } from './render';

const thing = (s: Suppression): string => (s.port === null ? `host ${s.ip}` : `port ${s.port}/${s.proto} of ${s.ip}`);
const streak = (s: Suppression, what: string, setting: string): string => `${what} in ${s.streak} of the ${s.threshold} scans in a row ${setting} asks for`;

/** Why B stayed silent about it, in the words of the rule that applied. */
export function explain(s: Suppression, b: IngestSummary): string {
  const gone = s.port === null ? 'not taken down' : 'not taken as closed';
  switch (s.reason) {
    case 'incomplete': return `${thing(s)}: B is incomplete, so nothing is concluded closed or down from it`;
    case 'host_out_of_scope': return `host ${s.ip} was not in B's host scope (${b.host_scope}): ${gone}`;
    case 'port_out_of_scope': return `port ${s.port}/${s.proto} was not in B's port scope (${b.port_scope}): ${gone} on ${s.ip}`;
    case 'host_timed_out': return `nmap timed out on host ${s.ip} in B: ${gone}`;
    case 'port_unknown': return `B does not say what port ${s.port}/${s.proto} of ${s.ip} was (summed up as open|filtered): ${gone}`;
    case 'open_filtered': return `port ${s.port}/${s.proto} of ${s.ip} was open|filtered in B, which is no evidence either way (scanner option open_filtered: ignore): still open`;
    case 'all_ports': return `host ${s.ip} answered on more than max_open_ports ports in B: no evidence for port ${s.port}/${s.proto}, still open`;
    case 'down_after': return `${thing(s)}: ${streak(s, 'missing', 'down_after')}: still up`;
    case 'close_after': return `${thing(s)}: ${streak(s, 'missing', 'close_after')}: still open`;
    case 'open_after': return `${thing(s)}: ${streak(s, 'open', 'open_after')}: not reported open yet`;
    case 'held': return `${thing(s)}: held back by max_absence (B would take down or close too much at once): ${gone}`;
  }
}

function fileLine(which: string, s: IngestSummary): string {
  const state = s.complete ? '' : ', incomplete';
  return `${which}: ${safeText(s.source)} (${s.format}, scanner ${s.scanner}, ${s.started_at ?? 'no scan time'}${state}): ${s.hosts_up} hosts up, ${s.ports_open} open ports`;
}

function text(io: Io, r: DiffResult): void {
  io.out(`${fileLine('A', r.a)}\n${fileLine('B', r.b)}\n`);
  if (r.b.status === 'duplicate') io.out('B is the same file as A\n');
  if (r.changes.length === 0) io.out('no changes\n');
  else table(io, ['IP', 'HOSTNAME', 'CHANGE'], r.changes.map((c) => [c.ip ?? '-', safeText(c.hostname), safeText(describeChange(c))]));
  if (r.b.status === 'applied' && !r.b.complete) io.out('B is incomplete: only new hosts and ports are taken from it; nothing is concluded closed or down\n');
  if (r.suppressed.length === 0) return;
  io.out('not concluded:\n');
  for (const s of r.suppressed) io.out(`  ${safeText(explain(s, r.b))}\n`);
}

export const run: Action = async ([fileA, fileB], opts, global, io) => {
  const format = textOpt(opts, 'format');
  const scanner = textOpt(opts, 'scanner');
  if (format) agentByName(format);
  if (scanner) checkScannerName(scanner);
  const { config } = loadCommandConfig(global);
  const r = await diffFiles(fileA, fileB, {
    scanner, format, scope: networksOption(listOpt(opts, 'scope'), '--scope'), ports: portsOption(textOpt(opts, 'ports')),
    scanners: config.scanners, maxDecompressed: config.server.max_body,
  });
  for (const [which, s] of [['A', r.a], ['B', r.b]] as const) for (const w of s.warnings) io.err(`  warning (${which}): ${safeText(w)}\n`);
  if (global.json) json(io, { a: r.a, b: r.b, changes: r.changes, not_concluded: r.suppressed.map((s) => ({ ...s, explanation: explain(s, r.b) })) });
  else text(io, r);
  return r.changes.length > 0 ? EXIT.changesFound : EXIT.ok;
};
