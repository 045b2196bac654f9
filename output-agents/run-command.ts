// Runs one command for a hook: argv only (never a shell), input on stdin, a time limit after which
// the whole process group is killed. Resolves when it exited 0; rejects with a DeliveryError that
// says what went wrong and what to do.
import { spawn } from 'node:child_process';
import { DeliveryError } from '../common/errors';

const TAIL = 400;
/**
 * After the command exited, how long its stderr may still deliver what it wrote. A background
 * process it left behind can hold the pipe open for hours; the exit status is what counts.
 */
const PIPE_GRACE_MS = 500;

const BY_HAND = 'the hook must exit 0 when it has taken the change: see what it wrote on stderr, '
  + 'and run it by hand with the changes as JSON on its standard input';

export interface CommandRun {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: string;
  timeoutMs: number;
}

export function runCommand(run: CommandRun): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let timedOut = false;
    let settled = false;
    // detached: the command leads its own process group, so a timeout also ends what it started.
    const child = spawn(run.argv[0], run.argv.slice(1), { env: run.env, stdio: ['pipe', 'ignore', 'pipe'], detached: true, shell: false });
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A grandchild outside the group could keep stderr open: do not wait for it.
      child.stderr?.destroy();
    }, run.timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-TAIL)));
    child.stdin?.on('error', () => undefined); // a hook need not read its input
    child.stdin?.end(run.stdin);
    child.on('error', (e) => finish(new DeliveryError(`cannot run ${run.argv[0]}: ${e.message}`, {
      cause: e,
      remedy: 'give the full path of an executable file that portdelta\'s user may run as the first item of command: (no shell is used)',
    })));
    // 'close' waits for stderr to be read to the end. After a timeout 'exit' is enough; after a
    // normal exit, stderr gets PIPE_GRACE_MS to drain, then the exit status decides.
    let grace: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      if (timedOut) return done(null, null);
      clearTimeout(timer); // it exited in time; the grace below is short and bounded
      grace = setTimeout(() => {
        child.stderr?.destroy();
        done(code, signal);
      }, PIPE_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      clearTimeout(grace);
      done(code, signal);
    });
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      const tail = stderr.trim() ? `; stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
      const failed = (message: string, remedy: string) => finish(new DeliveryError(`${run.argv[0]}${message}${tail}`, { remedy }));
      if (timedOut) failed(` did not finish within ${run.timeoutMs / 1000}s and was killed`, 'make the hook finish sooner (hand long work to the background) or raise the agent\'s timeout');
      else if (signal) failed(` was ended by signal ${signal}`, BY_HAND);
      else if (code !== 0) failed(` exited with code ${code}`, BY_HAND);
      else finish();
    };
  });
}
