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
import type { Disagreement, DisagreementView, FamilyDisagreement, FamilyView } from '../common/types';
import { listFamilyDisagreements } from '../db/family-disagreement-repo';
import type { Context } from './context';

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

const familyView = (v: FamilyView): string => `${v.view} (${shortTime(v.scan_time) || 'no time'})`;

/** `--family`: a host's IPv4 and IPv6 addresses as one scanner sees them. */
async function family(io: Io, json_: boolean, { db, config }: Context, networks: ReturnType<typeof networksOption>): Promise<number> {
  const rows: FamilyDisagreement[] = await listFamilyDisagreements(db.knex, { pairs: config.dual_stack, networks });
  if (json_) json(io, rows);
  else if (rows.length === 0) io.out('no dual-stack disagreements (hosts linked by one PTR name or by dual_stack in the config)\n');
  else {
    table(
      io,
      ['SCANNER', 'HOSTNAME', 'PORT', 'IPV4', 'IPV4 VIEW', 'IPV6', 'IPV6 VIEW', 'LINKED BY'],
      rows.map((d) => [d.scanner, safeText(d.hostname), `${d.port}/${d.proto}`, d.views[0].ip, familyView(d.views[0]), d.views[1].ip, familyView(d.views[1]), d.linked_by]),
    );
  }
  return rows.length;
}

export const run: Action = async (_args, opts, global, io) => {
  const group = textOpt(opts, 'group');
  const networks = networksOption(listOpt(opts, 'network'), '--network');
  if (flagOpt(opts, 'family')) {
    if (group !== undefined) throw new UsageError('--family and --group do not go together', 'a dual-stack disagreement is within one scanner; leave out --group');
    const found = await withContext(global, (ctx) => family(io, !!global.json, ctx, networks));
    return flagOpt(opts, 'exitCode') && found > 0 ? EXIT.changesFound : EXIT.ok;
  }
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
