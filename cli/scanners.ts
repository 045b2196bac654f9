// `portdelta scanners [--json]`: each scanner's health. Looking is noticing: a silence seen here
// records its scanner_silent event like `run` would (once per silence period).
import { EXIT, type Action } from './io';
import { withContext } from './context';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';
import { checkSilence, scannerSettings } from './health';
import { healthNow } from '../delta-reporter/scanner-health';
import { scannerStatuses, type ScannerStatus } from '../delta-reporter/scanner-status';

function lastScanText(s: ScannerStatus): string {
  const l = s.last_scan;
  if (!l) return 'no scan yet';
  return `${shortTime(l.time)} ${l.format} ${l.hosts_up} up ${l.ports_open} open${l.complete ? '' : ' (incomplete)'}`;
}

function healthText(s: ScannerStatus): string {
  if (s.silent) return `silent since ${shortTime(s.silent_since)}`;
  return s.expect_every ? `ok (every ${s.expect_every})` : 'ok';
}

export const run: Action = async (_args, _opts, global, io) =>
  withContext(global, async ({ db, config }) => {
    await checkSilence(db, config, io, () => null);
    const rows = await scannerStatuses(db, scannerSettings(config), healthNow());
    if (global.json) json(io, rows);
    else if (rows.length === 0) io.out('no scanners\n');
    else {
      table(io, ['SCANNER', 'GROUP', 'LAST SCAN', '7 DAYS', 'HEALTH'], rows.map((s) => [s.scanner, s.group ?? '-', lastScanText(s), String(s.scans_7d), healthText(s)]));
      for (const s of rows) {
        if (s.last_scan) io.out(`${s.scanner}: last scan ${safeText(s.last_scan.file)}\n`);
        if (s.last_failure) io.out(`${s.scanner}: last failed file ${safeText(s.last_failure.file)} at ${shortTime(s.last_failure.time)}: ${safeText(s.last_failure.reason.split('\n')[0])}\n`);
      }
    }
    return EXIT.ok;
  });
