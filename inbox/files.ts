// What waits in the inbox (DESIGN §7): `INBOX/<scanner>/…` and files directly in INBOX/. Names
// ending .part/.tmp or starting with '.' are uploads in progress (scp/sftp/rsync conventions) and
// are never looked at; archive/ and failed/ are the watcher's own folders. A folder that cannot be
// read, or a link to a folder, is reported and left alone; the rest of the inbox goes on.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../common/errors';
import { ARCHIVE_DIR, FAILED_DIR, ignoredName } from '../common/inbox-names';

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


/** A folder (or link) the walk cannot take: it stays where it is; the message says why and what to do. */
export interface InboxProblem {
  /** Path relative to the inbox, ending in '/': 'scan-in/'. */
  rel: string;
  message: string;
}

export interface InboxListing {
  entries: InboxEntry[];
  problems: InboxProblem[];
}

const PERMISSION = 'give the portdelta user read and execute permission on it (e.g. setfacl -m u:portdelta:rx DIR, or the group portdelta with chmod g+rx DIR)';

export async function listInbox(inbox: string): Promise<InboxListing> {
  const out: InboxListing = { entries: [], problems: [] };
  await walk(inbox, '', 0, out);
  return out;
}

const errCode = (e: unknown): string => String((e as NodeJS.ErrnoException).code ?? (e as Error).message);

async function walk(inbox: string, relDir: string, depth: number, out: InboxListing): Promise<void> {
  const dir = path.join(inbox, relDir);
  let names: fs.Dirent[];
  try {
    names = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (depth === 0) throw new UsageError(`cannot read the inbox ${inbox} (${errCode(e)})`, PERMISSION.replace(/DIR/g, inbox).replace('read and execute', 'read, write and execute'));
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we looked
    // One folder the walk cannot read must not hide the others: it is reported, and the rest go on.
    out.problems.push({ rel: `${relDir}/`, message: `cannot read the folder ${dir} (${errCode(e)}): nothing in it is ingested\n  remedy: ${PERMISSION.replace(/DIR/g, dir)}` });
    return;
  }
  for (const d of names) {
    if (ignoredName(d.name)) continue;
    // archive/ and failed/ are ours whatever they are (a folder, or a link to one elsewhere).
    if (depth === 0 && (d.name === ARCHIVE_DIR || d.name === FAILED_DIR)) continue;
    const rel = relDir ? `${relDir}/${d.name}` : d.name;
    if (d.isDirectory()) {
      if (depth < MAX_DEPTH) await walk(inbox, rel, depth + 1, out);
      continue;
    }
    const abs = path.join(inbox, rel);
    if (d.isSymbolicLink() && (await linksToFolder(abs))) {
      // Never moved (it is not a file) and never followed: whoever can change the link's target could
      // make the watcher read, and move into failed/, any folder it can write.
      const target = await fs.promises.readlink(abs).catch(() => '?');
      out.problems.push({
        rel: `${rel}/`,
        message: `a symbolic link to a folder (${target}), not a folder: left in place, nothing in it is ingested\n  remedy: portdelta does not follow links in the inbox; make inbox/${rel} a real folder and upload into it, or bind-mount the upload folder onto it (docs/operations.md)`,
      });
      continue;
    }
    try {
      const stat = await fs.promises.lstat(abs);
      out.entries.push({ rel, abs, folder: depth === 0 ? null : rel.split('/')[0], stat });
    } catch (e) {
      // ENOENT: gone between readdir and lstat (an upload renamed it, or another process took it)
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.problems.push({ rel, message: `cannot look at ${abs} (${errCode(e)})\n  remedy: ${PERMISSION.replace(/DIR/g, dir)}` });
    }
  }
}

async function linksToFolder(abs: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(abs)).isDirectory();
  } catch {
    return false; // a broken link: a bad file like any other link
  }
}

export const signature = (s: fs.Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`;

/**
 * A file is settled once it has looked the same (inode, size, mtime) for `settleMs` of our own
 * monotonic clock (performance.now(): the wall clock may be set back or forward meanwhile). The
 * file's mtime alone is not trusted: `scp -p` and `rsync -t` set old mtimes.
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
