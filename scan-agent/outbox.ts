// Every report is written here first (a dot-named .part, fsynced, renamed), sent, and removed only
// after the server answered 2xx. What could not be sent waits for the next run, oldest first.
import fs from 'node:fs';
import path from 'node:path';

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
    const fd = fs.openSync(part, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(part, path.join(this.dir, name));
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
    return path.join(dir, name);
  }
}
