import { EXIT, type Action } from './io';
import { listOpt, textOpt } from './options';
import { withContext } from './context';
import { listOpenPorts } from '../db/query-repo';
import { listOpenPortsAt } from '../db/past-state-repo';
import { scannerNetFilter, sinceOption } from '../common/query-options';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';
import { certWords, serviceWords } from '../common/service-facts';

export const run: Action = async (_args, opts, global, io) => {
  const filter = scannerNetFilter({ scanner: textOpt(opts, 'scanner'), network: listOpt(opts, 'network') });
  const at = sinceOption(textOpt(opts, 'at'), Date.now(), '--at');
  return withContext(global, async ({ db }) => {
    const rows = at === undefined ? await listOpenPorts(db.knex, filter) : await listOpenPortsAt(db.knex, at, filter);
    if (global.json) json(io, rows);
    else if (rows.length === 0) io.out(at === undefined ? 'no open ports recorded\n' : `no open ports recorded at ${new Date(at).toISOString()}\n`);
    else {
      // The service and certificate columns only when some port has them (a scan with -sV or ssl-cert).
      const facts = rows.some((r) => r.service || r.cert);
      table(
        io,
        ['SCANNER', 'IP', 'PORT', 'HOSTNAME', 'FIRST SEEN', 'LAST SEEN', ...(facts ? ['SERVICE', 'CERTIFICATE'] : [])],
        rows.map((r) => [
          r.scanner, r.ip, `${r.port}/${r.proto}`, safeText(r.hostname), shortTime(r.first_seen), shortTime(r.last_seen),
          ...(facts ? [r.service ? safeText(serviceWords(r.service)) : '-', r.cert ? safeText(certWords(r.cert)) : '-'] : []),
        ]),
      );
    }
    return EXIT.ok;
  });
};
