// Where a file goes once it is done: archive/YYYY-MM-DD/<its path in the inbox> after an ingest,
// failed/<its path in the inbox> with a .error.txt beside it when the file itself is bad. Both live
// inside the inbox, so a move is a rename on one filesystem: atomic, and the file is never copied
// or deleted. An existing name is never overwritten: a number goes before the extension.
import fs from 'node:fs';
import path from 'node:path';
import { ARCHIVE_DIR, FAILED_DIR } from '../common/inbox-names';
import type { InboxEntry } from './files';

const exists = (p: string): boolean => {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** 'a/b/scan.xml' → 'a/b/scan.xml', 'a/b/scan.1.xml', 'a/b/scan.2.xml', … whichever is free (with its .error.txt). */
function freeName(dir: string, rel: string, withErrorFile: boolean): string {
  const ext = path.posix.extname(rel);
  const stem = ext ? rel.slice(0, -ext.length) : rel;
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? rel : `${stem}.${n}${ext}`;
    const abs = path.join(dir, candidate);
    if (!exists(abs) && !(withErrorFile && exists(`${abs}.error.txt`))) return candidate;
  }
}

async function moveInto(inbox: string, base: string, e: InboxEntry, withErrorFile: boolean): Promise<string> {
  const dir = path.join(inbox, base);
  const rel = freeName(dir, e.rel, withErrorFile);
  const target = path.join(dir, rel);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.rename(e.abs, target);
  return `${base}/${rel}`;
}

/** UTC date of the archiving, so a day's folder can be rotated away as a whole. */
function archiveFolder(now: Date): string {
  return `${ARCHIVE_DIR}/${now.toISOString().slice(0, 10)}`;
}

/** Moves an ingested file into the archive; returns its new path relative to the inbox. */
export function archive(inbox: string, e: InboxEntry, now: Date): Promise<string> {
  return moveInto(inbox, archiveFolder(now), e, false);
}

/** Moves a bad file into failed/ and writes what went wrong beside it; returns its new path relative to the inbox. */
export async function fail(inbox: string, e: InboxEntry, report: string): Promise<string> {
  const moved = await moveInto(inbox, FAILED_DIR, e, true);
  // Written after the move: a crash in between leaves the file in failed/ without its note, never
  // a note for a file that is still waiting (and would be tried again).
  const note = path.join(inbox, `${moved}.error.txt`);
  await fs.promises.writeFile(`${note}.tmp`, report);
  await fs.promises.rename(`${note}.tmp`, note);
  return moved;
}
