// Every report is written here first (a dot-named .part, fsynced, renamed, the folder fsynced),
// sent, and removed only after the server answered 2xx. What could not be sent waits for the next
// run, oldest first. A run holds the outbox's lock (OutboxLock) from start to end.
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../common/durable';

/** A report being written: '.<name>.part'. */
const PART = /^\..+\.part$/;

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');

export class Outbox {
  private seq = 0;

  constructor(readonly dir: string) {}

  /** A fresh report's final name and its .part beside it; names sort by creation time. */
  newReport(label: string, now = new Date()): { name: string; part: string } {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const name = `${stamp(now)}-${String(this.seq++).padStart(3, '0')}-${label.replace(/[^A-Za-z0-9_.-]/g, '_')}.xml.gz`;
    return { name, part: path.join(this.dir, `.${name}.part`) };
  }

  commit(part: string, name: string): void {
    fsyncPath(part);
    fs.renameSync(part, path.join(this.dir, name));
    fsyncPath(this.dir);
  }

  /**
   * Removes the .part files of runs that were killed while nmap wrote them. Called under the lock,
   * so no live run owns one. They are not sent: nmap's XML (and its gzip) ends before the scan did.
   */
  removeStaleParts(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    const stale = fs.readdirSync(this.dir).filter((n) => PART.test(n)).sort();
    for (const n of stale) fs.rmSync(path.join(this.dir, n), { force: true });
    return stale;
  }

  discard(part: string): void {
    fs.rmSync(part, { force: true });
  }

  /** Reports waiting to be sent, oldest first. */
  pending(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs.readdirSync(this.dir).filter((n) => n.endsWith('.xml.gz') && !n.startsWith('.')).sort();
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  sent(name: string): void {
    fs.rmSync(this.path(name), { force: true });
  }

  /** The server will never take it (4xx): set aside with the reason, so it is not sent again. */
  reject(name: string, reason: string): string {
    const dir = path.join(this.dir, 'rejected');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.renameSync(this.path(name), path.join(dir, name));
    fs.writeFileSync(path.join(dir, `${name}.error.txt`), reason + '\n');
    fsyncPath(dir);
    fsyncPath(this.dir);
    return path.join(dir, name);
  }
}
