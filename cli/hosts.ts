import { EXIT, type Action } from './io';
import { listOpt, textOpt } from './options';
import { withContext } from './context';
import { listHosts } from '../db/query-repo';
import { listHostsAt } from '../db/past-state-repo';
import { scannerNetFilter, sinceOption } from '../common/query-options';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';

export const run: Action = async (_args, opts, global, io) => {
  const filter = scannerNetFilter({ scanner: textOpt(opts, 'scanner'), network: listOpt(opts, 'network') });
  const at = sinceOption(textOpt(opts, 'at'), Date.now(), '--at');
  return withContext(global, async ({ db }) => {
    const rows = at === undefined ? await listHosts(db.knex, filter) : await listHostsAt(db.knex, at, filter);
    if (global.json) json(io, rows);
    else if (rows.length === 0) io.out(at === undefined ? 'no hosts recorded\n' : `no hosts recorded at ${new Date(at).toISOString()}\n`);
    else {
      table(
        io,
        ['SCANNER', 'IP', 'STATUS', 'HOSTNAME', 'OPEN', 'FIRST SEEN', 'LAST SEEN'],
        rows.map((r) => [r.scanner, r.ip, r.status, safeText(r.hostname), String(r.open_ports), shortTime(r.first_seen), shortTime(r.last_seen)]),
      );
    }
    return EXIT.ok;
  });
};
