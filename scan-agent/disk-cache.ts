// phpIPAM's answers, cached on disk as JSON files that carry their write time. An answer expires
// when now + epoch_time_offset ≥ its write time + cache_expire_time (the phpIPAM scan agent's rule).
import fs from 'node:fs';
import path from 'node:path';

interface Stored<T> {
  written_at: number;
  what: string;
  data: T;
}

export class DiskCache {
  constructor(
    private readonly dir: string,
    private readonly expireSeconds: number,
    private readonly offsetSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  private file(name: string): string {
    return path.join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  private expired(writtenAt: number): boolean {
    return this.nowSeconds() + this.offsetSeconds >= writtenAt + this.expireSeconds;
  }

  /** Removes every expired (or unreadable) answer; returns what was removed. */
  expire(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    const removed: string[] = [];
    for (const f of fs.readdirSync(this.dir).filter((n) => n.endsWith('.json')).sort()) {
      const full = path.join(this.dir, f);
      let writtenAt = -Infinity;
      try {
        writtenAt = Number((JSON.parse(fs.readFileSync(full, 'utf8')) as Stored<unknown>).written_at);
      } catch {
        // an unreadable entry is worth nothing: drop it like an expired one
      }
      if (!Number.isFinite(writtenAt) || this.expired(writtenAt)) {
        fs.rmSync(full, { force: true });
        removed.push(f.replace(/\.json$/, ''));
      }
    }
    return removed;
  }

  get<T>(name: string): T | undefined {
    try {
      const s = JSON.parse(fs.readFileSync(this.file(name), 'utf8')) as Stored<T>;
      return this.expired(s.written_at) ? undefined : s.data;
    } catch {
      return undefined;
    }
  }

  put<T>(name: string, what: string, data: T): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(name);
    const part = `${target}.part`;
    const stored: Stored<T> = { written_at: this.nowSeconds(), what, data };
    fs.writeFileSync(part, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(part, target);
  }
}
