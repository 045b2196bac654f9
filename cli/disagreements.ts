// `disagreements`: per scanner group, the ports some members report open and others, with the
// port in scope of a complete scan, do not (DESIGN §3). Membership follows the current config.
import { EXIT, type Io, type Action } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { listDisagreements, scannerGroups, type GroupMember } from '../db/disagreement-repo';
import { listedGroups } from '../common/scanner-groups';
import { networksOption } from '../common/query-options';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';
import { UsageError } from '../common/errors';
import type { Disagreement, DisagreementView } from '../common/types';

const who = (views: DisagreementView[], view: DisagreementView['view']): string =>
  views
    .filter((v) => v.view === view)
    .map((v) => `${v.scanner} ${shortTime(v.scan_time) || '(no time)'}`)
    .join(', ');

function printGroup(io: Io, group: string, members: GroupMember[], rows: Disagreement[]): void {
  const names = members.map((m) => m.name).join(', ');
  if (members.length < 2) {
    io.out(`group ${safeText(group)} (${names}): only one member, nothing to compare\n`);
    return;
  }
  if (rows.length === 0) {
    io.out(`group ${safeText(group)} (${names}): no disagreements\n`);
    return;
  }
  io.out(`group ${safeText(group)} (${names}): ${rows.length} disagreement${rows.length === 1 ? '' : 's'}\n`);
  table(
    io,
    ['IP', 'PORT', 'HOSTNAME', 'OPEN (last seen)', 'NOT OPEN (complete scan)'],
    rows.map((d) => [d.ip, `${d.port}/${d.proto}`, safeText(d.hostname), who(d.views, 'open'), who(d.views, 'not open')]),
  );
}

export const run: Action = async (_args, opts, global, io) => {
  const group = textOpt(opts, 'group');
  const networks = networksOption(listOpt(opts, 'network'), '--network');
  return withContext(global, async ({ db, config }) => {
    const listed = listedGroups(config);
    const groups = await scannerGroups(db.knex, listed);
    if (group !== undefined && !groups.has(group)) {
      const known = [...groups.keys()].map(safeText).join(', ');
      throw new UsageError(
        `no scanner belongs to group '${safeText(group)}'`,
        known ? `use one of: ${known}` : 'no scanner has a group yet: set scanners.NAME.group in the config (docs/configuration.md)',
      );
    }
    const rows = await listDisagreements(db.knex, { group, networks, listed });
    if (global.json) json(io, rows);
    else if (groups.size === 0) io.out('no scanner groups: set scanners.NAME.group in the config to compare scanners\n');
    else {
      for (const [name, members] of groups) {
        if (group === undefined || name === group) printGroup(io, name, members, rows.filter((d) => d.group === name));
      }
    }
    return flagOpt(opts, 'exitCode') && rows.length > 0 ? EXIT.changesFound : EXIT.ok;
  });
};
