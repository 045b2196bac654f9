import { EXIT, type Action } from './io';
import { flagOpt, listOpt, textOpt } from './options';
import { withContext } from './context';
import { loadCommandConfig } from './command-config';
import { UsageError } from '../common/errors';
import { audit } from '../output-agents/audit';
import { loadPolicy, policyPath } from '../output-agents/policy';
import { networksOption } from '../common/query-options';
import { json, table } from './render';
import { safeText } from '../common/safe-text';
import { auditCerts, certExpiryWindow } from './audit-certs';

export const run: Action = async (_args, opts, global, io) => {
  const filter = { scanner: textOpt(opts, 'scanner'), networks: networksOption(listOpt(opts, 'network'), '--network') };
  const expiry = textOpt(opts, 'certExpiry');
  if (expiry !== undefined) {
    const windowMs = certExpiryWindow(expiry);
    return withContext(global, async ({ db }) => {
      const { found } = await auditCerts(db, io, { ...filter, windowMs, json: !!global.json });
      return flagOpt(opts, 'exitCode') && found > 0 ? EXIT.changesFound : EXIT.ok;
    });
  }
  // The policy is read and checked before the database is opened: a bad file costs nothing else.
  const { config, file } = loadCommandConfig(global);
  const where = policyPath(config.policy, file, textOpt(opts, 'policy'));
  if (!where) {
    throw new UsageError('audit needs a target-state policy file', 'give --policy FILE or set `policy:` in the configuration (docs/target-state.md)');
  }
  const policy = loadPolicy(where);
  return withContext(global, async ({ db }) => {
    const { violations, checked, uncovered } = await audit(db.knex, policy, filter);
    if (global.json) json(io, violations);
    else {
      if (violations.length === 0) io.out(`no open port breaks the policy (${checked} open ports checked against ${where})\n`);
      else {
        table(
          io,
          ['IP', 'PORT', 'HOSTNAME', 'SCANNERS', 'REASON', 'RULE', 'OWNER', 'NOTE'],
          violations.map((v) => [
            v.ip, `${v.port}/${v.proto}`, safeText(v.hostname), v.scanners.join(','), v.reason, v.rule ?? '', safeText(v.owner), safeText(v.note),
          ]),
        );
      }
      if (uncovered > 0) io.out(`${uncovered} open ports are on addresses no policy rule covers\n`);
    }
    return flagOpt(opts, 'exitCode') && violations.length > 0 ? EXIT.changesFound : EXIT.ok;
  });
};
