import { EXIT, type Action, type GlobalOptions } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { listChanges } from '../db/query-repo';
import { changeFilter } from '../common/query-options';
import { describeChange } from '../common/describe';
import { json, table } from './render';
import { shortTime } from '../common/short-time';
import { safeText } from '../common/safe-text';
import { UsageError } from '../common/errors';
import { listChangesByVerdict, verdictOption } from '../output-agents/change-verdict';
import { loadPolicy, policyPath, type TargetPolicy } from '../output-agents/policy';
import { loadCommandConfig } from './command-config';

/** The policy `--verdict` judges by (--policy, else the configuration's `policy`), read before the database is opened. */
function verdictPolicy(global: GlobalOptions, explicit: string | undefined): TargetPolicy {
  const { config, file } = loadCommandConfig(global);
  const where = policyPath(config.policy, file, explicit);
  if (!where) throw new UsageError('--verdict needs a target-state policy file', 'give --policy FILE or set `policy:` in the configuration (docs/target-state.md)');
  return loadPolicy(where);
}

export const run: Action = async (_args, opts, global, io) => {
  const filter = changeFilter({
    since: textOpt(opts, 'since'),
    afterId: textOpt(opts, 'afterId'),
    scanner: textOpt(opts, 'scanner'),
    type: textOpt(opts, 'type'),
    network: listOpt(opts, 'network'),
    report: textOpt(opts, 'report'),
    unlisted: flagOpt(opts, 'unlisted'),
    scanId: textOpt(opts, 'scanId'),
  });
  const verdict = verdictOption(textOpt(opts, 'verdict'), '--verdict');
  if (textOpt(opts, 'policy') !== undefined && verdict === undefined) throw new UsageError('--policy is used with --verdict', 'add --verdict expected, unexpected or none');
  const policy = verdict === undefined ? null : verdictPolicy(global, textOpt(opts, 'policy'));
  return withContext(global, async ({ db }) => {
    const rows = verdict === undefined ? await listChanges(db.knex, filter) : await listChangesByVerdict(db.knex, filter, policy, verdict);
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
