import type { Action } from './commands';
import { EXIT } from './io';
import { withContext } from './context';
import { listChanges } from '../db/query-repo';
import { intOption, networksOption, sinceOption, typeMaskOption } from './parse-options';
import { describeChange } from '../common/describe';
import { json, safeText, shortTime, table } from './render';

export const run: Action = async (_args, opts, global, io) => {
  const filter = {
    sinceMs: sinceOption(opts.since as string | undefined),
    afterId: intOption(opts.afterId as string | undefined, '--after-id'),
    scanner: opts.scanner as string | undefined,
    typeMask: typeMaskOption(opts.type as string | undefined),
    networks: networksOption(opts.network as string[] | undefined, '--network'),
  };
  return withContext(global, async ({ db }) => {
    const rows = await listChanges(db.knex, filter);
    if (global.json) json(io, rows);
    else if (rows.length === 0) io.out('no changes\n');
    else {
      table(
        io,
        ['ID', 'DETECTED', 'SCANNER', 'IP', 'HOSTNAME', 'CHANGE'],
        rows.map((r) => [String(r.id), shortTime(r.detected_at), r.scanner, r.ip, safeText(r.hostname), safeText(describeChange(r))]),
      );
    }
    return opts.exitCode && rows.length > 0 ? EXIT.changesFound : EXIT.ok;
  });
};
