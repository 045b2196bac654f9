import { EXIT, type Action } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { listChanges } from '../db/query-repo';
import { changeFilter } from '../common/query-options';
import { describeChange } from '../common/describe';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';

export const run: Action = async (_args, opts, global, io) => {
  const filter = changeFilter({
    since: textOpt(opts, 'since'),
    afterId: textOpt(opts, 'afterId'),
    scanner: textOpt(opts, 'scanner'),
    type: textOpt(opts, 'type'),
    network: listOpt(opts, 'network'),
    report: textOpt(opts, 'report'),
    unlisted: flagOpt(opts, 'unlisted'),
  });
  return withContext(global, async ({ db }) => {
    const rows = await listChanges(db.knex, filter);
    if (global.json) json(io, rows);
    else if (rows.length === 0) io.out('no changes\n');
    else {
      table(
        io,
        ['ID', 'DETECTED', 'SCANNER', 'IP', 'HOSTNAME', 'CHANGE'],
        rows.map((r) => [String(r.id), shortTime(r.detected_at), r.scanner, r.ip ?? '-', safeText(r.hostname), safeText(describeChange(r))]),
      );
    }
    return flagOpt(opts, 'exitCode') && rows.length > 0 ? EXIT.changesFound : EXIT.ok;
  });
};
