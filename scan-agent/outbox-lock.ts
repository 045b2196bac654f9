// One agent run at a time per outbox (an overlapping cron or manual run would send reports twice or
// trip over each other's files). Node has no flock(2), so the lock is a file holding the run's pid,
// written whole and then hard-linked into place: link(2) fails if the name exists (like O_EXCL),
// and no run ever reads a half-written pid. A lock whose process is gone (a killed run) is stale and
// is taken over. Two runs that find the same stale lock at the same instant could both take it;
// the cron line runs the agent under flock(1) for that (docs/agent.md).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PortdeltaError } from '../common/errors';

function holderOf(lock: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // it exists, as another user
  }
}

export class OutboxLock {
  private constructor(readonly file: string) {}

  /** Takes the lock of `dir` for this process, or says which run holds it. */
  static acquire(dir: string, log: (msg: string) => void): OutboxLock {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, '.lock');
    const mine = path.join(dir, `.lock-${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
    try {
      for (let tries = 0; tries < 3; tries++) {
        try {
          fs.linkSync(mine, file);
          return new OutboxLock(file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = holderOf(file);
        if (holder !== null && alive(holder)) {
          throw new PortdeltaError('IO', `another agent run (pid ${holder}) is using the outbox ${dir}`, {
            remedy: `let it finish; if no agent runs, remove ${file}. From cron, run the agent under flock (docs/agent.md, "Cron")`,
          });
        }
        log(`outbox: taking over the lock of a run that ended without releasing it (pid ${holder ?? 'unknown'})`);
        fs.rmSync(file, { force: true });
      }
      throw new PortdeltaError('IO', `cannot take the lock ${file}: other runs keep taking it`, { remedy: 'run one agent at a time on this outbox' });
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /** Removes the lock if it is still this run's. */
  release(): void {
    if (holderOf(this.file) === process.pid) fs.rmSync(this.file, { force: true });
  }
}
