// `portdelta run [--inbox DIR] [--settle DUR]`: the nightly job for cron. Ingest what waits in the
// inbox (like `watch --once`), then run every output agent. One summary line per file and per
// agent; exit 2 if anything failed.
import { EXIT, type Action } from './io';
import { textOpt } from './options';
import { withContext } from './context';
import { inboxOption, listedLine, printResult, settleOption, stamp, stopOnSignals } from './inbox';
import { watchInbox } from '../inbox/watch';
import type { InboxResult } from '../inbox/process';
import { agentLine, remedyLine } from './report-output';
import { runConfiguredAgents, type AgentResult } from '../output-agents/runner';
import { safeText } from '../common/safe-text';
import { checkSilence, silentJson } from './health';

export const run: Action = async (_args, opts, global, io) =>
  withContext(global, async (ctx) => {
    const inbox = inboxOption(textOpt(opts, 'inbox'), ctx.config, 'give --inbox DIR');
    const settleMs = settleOption(textOpt(opts, 'settle'), ctx.config);
    const stop = stopOnSignals(io, 'stopping after the current file');
    const files: InboxResult[] = [];
    let agents: AgentResult[] = [];
    try {
      const counts = await watchInbox(ctx.db, ctx.config, {
        inbox, settleMs, once: true, signal: stop.signal, onListed: listedLine(io, global.json),
        onResult: (r) => {
          files.push(r);
          if (!global.json) printResult(io, false, r);
        },
      });
      // After the ingest (a scan that just arrived ends a silence), before the agents (they deliver the event tonight).
      const silent = stop.signal.aborted ? [] : await checkSilence(ctx.db, ctx.config, io, (line) => (global.json ? null : `${stamp()} ${line}`));
      if (!stop.signal.aborted) agents = await runConfiguredAgents(ctx, { log: (line) => io.err(`${stamp()} ${safeText(line)}\n`) });
      const agentsFailed = agents.filter((a) => a.status === 'failed').length;
      const failed = counts.failed + counts.deferred + agentsFailed > 0 || stop.signal.aborted;
      if (global.json) {
        io.out(JSON.stringify({ inbox, files, agents, failed, silent: silent.map(silentJson) }, null, 2) + '\n');
      } else {
        if (agents.length === 0) io.out(`${stamp()} output agents: none configured\n`);
        for (const a of agents) {
          const remedy = remedyLine(a);
          const line = `${stamp()} agent ${agentLine(a)}\n${remedy ? `${stamp()} ${remedy}\n` : ''}`;
          if (a.status === 'failed') io.err(line);
          else io.out(line);
        }
        const n = (k: keyof typeof counts) => `${counts[k]} ${k}`;
        io.out(`${stamp()} run: ${files.length - counts.waiting} file(s): ${n('applied')}, ${n('stale')}, ${n('duplicate')}, ${n('failed')}, ${n('deferred')}`
          + `${counts.waiting ? `; ${counts.waiting} still being written` : ''}; ${agents.length} agent(s), ${agentsFailed} failed${stop.signal.aborted ? '; stopped by a signal' : ''}\n`);
        // Not a failure (an upload in progress is normal), but tonight's reports lack those scans: say so where cron mail shows it.
        if (counts.waiting) io.err(`${stamp()} warning: ${counts.waiting} file(s) still being written were left for the next run: their scans are not in this run's reports\n`);
      }
      return failed ? EXIT.error : EXIT.ok;
    } finally {
      stop.release();
    }
  });
