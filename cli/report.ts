// `report [--agent NAME...] [--dry-run]`: every configured output agent delivers what is new for it.
import { EXIT, type Action } from './io';
import { flagOpt, listOpt } from './options';
import { withContext } from './context';
import { json } from './render';
import { printAgentResults } from './report-output';
import { runConfiguredAgents } from '../output-agents/runner';
import { safeText } from '../common/safe-text';
import { checkSilence } from './health';

export const run: Action = async (_args, opts, global, io) =>
  withContext(global, async (ctx) => {
    const dryRun = flagOpt(opts, 'dryRun');
    if (ctx.config.output_agents.length === 0) {
      io.err(`portdelta: no output agents configured${ctx.configFile ? ` in ${ctx.configFile}` : ''}: nothing to report (see docs/output-agents.md)\n`);
    }
    // Before claiming, so a silence noticed now is delivered by this very run (a dry run records nothing).
    if (!dryRun) await checkSilence(ctx.db, ctx.config, io, (line) => `portdelta: ${line}`);
    const results = await runConfiguredAgents(ctx, {
      agents: listOpt(opts, 'agent'),
      dryRun,
      log: (line) => io.err(`portdelta: ${safeText(line)}\n`),
    });
    if (global.json) json(io, results);
    else printAgentResults(io, results);
    return results.some((r) => r.status === 'failed') ? EXIT.error : EXIT.ok;
  });
