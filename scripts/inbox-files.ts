// What waits in the inbox (DESIGN §7): `INBOX/<scanner>/…` and files directly in INBOX/. Names
// ending .part/.tmp or starting with '.' are uploads in progress (scp/sftp/rsync conventions) and
// are never looked at; archive/ and failed/ are the watcher's own folders.
import fs from 'node:fs';
import path from 'node:path';

export const ARCHIVE_DIR = 'archive';
export const FAILED_DIR = 'failed';
const MAX_DEPTH = 8;

export interface InboxEntry {
  /** Path relative to the inbox, with '/' separators: 'scan-in/night1.xml'. */
  rel: string;
  abs: string;
  /** The first folder below the inbox (the scanner), or null for a file directly in the inbox. */
  folder: string | null;
  /** lstat: a symlink is seen as a symlink, never followed. */
  stat: fs.Stats;
}

export function ignoredName(name: string): boolean {
  return name.startsWith('.') || /\.(part|tmp)$/i.test(name);
}

export async function listInbox(inbox: string): Promise<InboxEntry[]> {
  const out: InboxEntry[] = [];
  await walk(inbox, '', 0, out);
  return out;
}

async function walk(inbox: string, relDir: string, depth: number, out: InboxEntry[]): Promise<void> {
  let names: fs.Dirent[];
  try {
    names = await fs.promises.readdir(path.join(inbox, relDir), { withFileTypes: true });
  } catch (e) {
    if (depth > 0 && (e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we looked
    throw e;
  }
  for (const d of names) {
    if (ignoredName(d.name)) continue;
    const rel = relDir ? `${relDir}/${d.name}` : d.name;
    if (d.isDirectory()) {
      if (depth === 0 && (d.name === ARCHIVE_DIR || d.name === FAILED_DIR)) continue;
      if (depth < MAX_DEPTH) await walk(inbox, rel, depth + 1, out);
      continue;
    }
    const abs = path.join(inbox, rel);
    try {
      const stat = await fs.promises.lstat(abs);
      out.push({ rel, abs, folder: depth === 0 ? null : rel.split('/')[0], stat });
    } catch {
      // gone between readdir and lstat: an upload renamed it or another process took it
    }
  }
}

export const signature = (s: fs.Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`;

/**
 * A file is settled once it has looked the same (inode, size, mtime) for `settleMs` of our own
 * clock. The file's mtime alone is not trusted: `scp -p` and `rsync -t` set old mtimes.
 */
export class SettleTracker {
  private seen = new Map<string, { sig: string; since: number }>();

  /** Records what the listing shows at `now`; forgets files that are gone. */
  observe(entries: readonly InboxEntry[], now: number): void {
    const next = new Map<string, { sig: string; since: number }>();
    for (const e of entries) {
      const sig = signature(e.stat);
      const before = this.seen.get(e.abs);
      next.set(e.abs, before && before.sig === sig ? before : { sig, since: now });
    }
    this.seen = next;
  }

  isSettled(e: InboxEntry, now: number, settleMs: number): boolean {
    const s = this.seen.get(e.abs);
    return !!s && s.sig === signature(e.stat) && now - s.since >= settleMs;
  }
}
