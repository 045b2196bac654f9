// `portdelta cleanup --older-than DUR | --scanner N | --range CIDR | --ip IP [--dry-run]`
import { EXIT, type Action } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { networksOption, sinceOption } from '../common/query-options';
import { canonicalIp, ipKey } from '../common/ip';
import { UsageError } from '../common/errors';
import { checkScannerName } from '../delta-reporter/scan-file';
import { cleanup, TABLES, type CleanupSelection } from '../scripts/cleanup';
import type { IpRange } from '../common/types';
import { json, table } from './render';

function ipsOption(values: string[] | undefined): IpRange[] {
  return (values ?? []).map((v) => {
    const ip = canonicalIp(v);
    if (ip === null) throw new UsageError(`--ip: '${v}' is not an IP address`, 'give one address per --ip (10.66.1.10, fd00::5); use --range for networks');
    return { lo: ipKey(ip), hi: ipKey(ip) };
  });
}

export const run: Action = async (_args, opts, global, io) => {
  const sel: CleanupSelection = {};
  const scanner = textOpt(opts, 'scanner');
  const range = listOpt(opts, 'range');
  const ip = listOpt(opts, 'ip');
  const olderThan = textOpt(opts, 'olderThan');
  if (scanner !== undefined) sel.scanner = checkScannerName(scanner);
  const ranges = [...(networksOption(range, '--range') ?? []), ...ipsOption(ip)];
  if (ranges.length) sel.ranges = ranges;
  if (olderThan !== undefined) sel.before = sinceOption(olderThan, Date.now(), '--older-than');
  const dryRun = flagOpt(opts, 'dryRun');
  return withContext(global, async ({ db }) => {
    const counts = await cleanup(db, sel, dryRun);
    if (global.json) {
      json(io, {
        dry_run: dryRun,
        selection: { scanner: sel.scanner ?? null, ranges: range ?? [], ips: ip ?? [], before: sel.before === undefined ? null : new Date(sel.before).toISOString() },
        deleted: counts,
      });
    } else {
      io.out(dryRun ? 'dry run: these rows would be deleted (nothing was changed)\n' : 'deleted in one transaction:\n');
      table(io, ['TABLE', 'ROWS'], TABLES.map((t) => [t, String(counts[t])]));
    }
    return EXIT.ok;
  });
};
