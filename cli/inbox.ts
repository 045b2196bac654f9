// What `watch` and `run` share: which inbox and settle time, stopping on a signal, and the one log
// line per file (timestamped: cron mail and plain log files have no time of their own).
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config';
import { UsageError } from '../common/errors';
import { DURATION_HINT, parseDuration } from '../common/duration';
import type { InboxResult } from '../inbox/process';
import { summaryLine } from './ingest';
import { safeText } from '../common/safe-text';
import type { Io } from './io';

export function inboxOption(given: string | undefined, config: Config, how: string): string {
  const dir = given ?? config.inbox;
  if (!dir) throw new UsageError('no inbox given', `${how}, or set 'inbox:' in the configuration (docs/operations.md)`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UsageError(`the inbox ${dir} does not exist`, `create it with one folder per scanner (mkdir -p ${path.join(dir, 'SCANNER')}), or fix the path`);
  }
  if (!stat.isDirectory()) throw new UsageError(`the inbox ${dir} is not a directory`, 'give the folder that holds one folder per scanner');
  return path.resolve(dir);
}

export function settleOption(value: string | undefined, config: Config): number {
  if (value === undefined) return config.inbox_settle;
  const ms = parseDuration(value);
  if (ms === null) throw new UsageError(`--settle: '${value}' is not a duration`, `give ${DURATION_HINT}`);
  return ms;
}

/**
 * An AbortSignal for SIGTERM/SIGINT. The first signal asks for a clean stop (the current file is
 * finished); our handlers are then removed, so a second signal ends the process the default way —
 * the open transaction is rolled back and the file is taken again at the next start.
 */
export function stopOnSignals(io: Io, what: string): { signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const release = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const onSignal = (name: NodeJS.Signals) => {
    release();
    io.err(`${stamp()} ${name}: ${what}\n`);
    ac.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { signal: ac.signal, release };
}

export const stamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const oneLine = (s: string): string => s.replace(/\n\s*/g, '; ');

function inboxLine(r: InboxResult): string {
  const file = safeText(r.file);
  switch (r.status) {
    case 'failed':
      return `${file}: failed: ${safeText(oneLine(r.error ?? ''))}; moved to ${safeText(r.moved_to)}`;
    case 'deferred':
      return `${file}: not ingested, will be tried again: ${safeText(oneLine(r.error ?? ''))}`;
    case 'waiting':
      return `${file}: still being written, left for the next run`;
    default:
      return `${summaryLine({ ...r.summary!, source: r.file })}; archived as ${safeText(r.moved_to)}`;
  }
}

/** `--once`/`run` in text mode: what the first listing found, before the settle wait (which can be long). */
export function listedLine(io: Io, json: boolean | undefined): ((files: number, settleMs: number) => void) | undefined {
  if (json) return undefined;
  return (files, settleMs) => {
    if (files > 0 && settleMs > 0) io.out(`${stamp()} inbox: ${files} file(s) found; waiting ${settleMs} ms to see that they no longer change\n`);
  };
}

/** Text: one line per file on stdout (problems on stderr); --json: one JSON object per line. */
export function printResult(io: Io, json: boolean | undefined, r: InboxResult): void {
  if (json) {
    io.out(JSON.stringify(r) + '\n');
    return;
  }
  const line = `${stamp()} ${inboxLine(r)}\n`;
  if (r.status === 'failed' || r.status === 'deferred') io.err(line);
  else io.out(line);
  for (const w of r.warnings) io.err(`${stamp()}   warning: ${safeText(oneLine(w))}\n`);
}
