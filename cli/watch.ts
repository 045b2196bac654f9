// `portdelta watch [INBOX] [--once] [--settle DUR]`: the inbox daemon (a systemd service), or one pass.
import { EXIT, type Action } from './io';
import { flagOpt, textOpt } from './options';
import { withContext } from './context';
import { inboxOption, listedLine, printResult, settleOption, stamp, stopOnSignals } from './inbox';
import { pollInterval, watchInbox } from '../inbox/watch';
import { checkSilence } from './health';
import { describeError } from '../common/errors';

export const run: Action = async (args, opts, global, io) => {
  const once = flagOpt(opts, 'once');
  return withContext(global, async ({ db, config }) => {
    const inbox = inboxOption(args[0], config, 'give the inbox folder: portdelta watch /var/spool/portdelta/inbox');
    const settleMs = settleOption(textOpt(opts, 'settle'), config);
    const stop = stopOnSignals(io, once ? 'stopping after the current file' : 'finishing the current file, then exiting');
    try {
      if (!once && !global.json) {
        io.err(`${stamp()} watching ${inbox} (settle ${settleMs} ms, poll ${pollInterval(settleMs)} ms, database ${db.where})\n`);
      }
      const counts = await watchInbox(db, config, {
        inbox, settleMs, once, signal: stop.signal, onResult: (r) => printResult(io, global.json, r), onListed: listedLine(io, global.json),
        // The daemon notices a silent scanner without waiting for a file; a failed check is said and tried again.
        everyMinute: once ? undefined : () => checkSilence(db, config, io, (line) => `${stamp()} ${line}`)
          .then(() => undefined, (err: unknown) => io.err(`${stamp()} error: checking scanner silence: ${describeError(err)}\n`)),
      });
      if (!once) {
        if (!global.json) io.err(`${stamp()} stopped\n`);
        return EXIT.ok; // a stop on request; bad files are in failed/, and systemd must not restart us
      }
      return counts.failed + counts.deferred > 0 || stop.signal.aborted ? EXIT.error : EXIT.ok;
    } finally {
      stop.release();
    }
  });
};
