// Scanner health for the commands that notice silence (run, report, watch, scanners): the slice of
// the configuration it needs, and the warning lines.
import type { Config } from '../config/config';
import type { Db } from '../db/connection';
import { listedGroups } from '../common/scanner-groups';
import { evaluateSilence, healthNow, silenceWarning, type Silence } from '../delta-reporter/scanner-health';
import type { ScannerSettings } from '../delta-reporter/scanner-status';
import type { Io } from './io';

export function scannerSettings(config: Config): ScannerSettings {
  return {
    listed: listedGroups(config),
    expectations: Object.fromEntries(Object.entries(config.scanners).map(([name, s]) => [name, s.expect_every])),
  };
}

/** Records the scanner_silent event of each newly silent scanner; with `warn`, one line per silent scanner on stderr. */
export async function checkSilence(db: Db, config: Config, io: Io, warn: (line: string) => string | null): Promise<Silence[]> {
  const silent = await evaluateSilence(db, scannerSettings(config).expectations, healthNow());
  for (const s of silent) {
    const line = warn(silenceWarning(s));
    if (line !== null) io.err(line + '\n');
  }
  return silent;
}

/** A silent scanner in `run --json`. */
export const silentJson = (s: Silence) => ({
  scanner: s.scanner,
  silent_since: new Date(s.since).toISOString(),
  last_scan_at: s.last_scan_at === null ? null : new Date(s.last_scan_at).toISOString(),
  recorded: s.recorded,
});
