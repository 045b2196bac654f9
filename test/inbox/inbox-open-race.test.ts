// The file's type is judged when the inbox is listed (lstat), but the file is opened later. A FIFO
// or a symbolic link swapped in between must not be waited on (a FIFO without a writer blocks an
// open for ever) or followed: the open refuses both (O_NOFOLLOW|O_NONBLOCK, then fstat of the
// descriptor, which is also what the file is read from), and the file goes to failed/. The swap
// cannot be timed from outside a running watcher, so the entry is listed, then swapped, then handed
// to processEntry and to the peek, as the watcher would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { forEachDb } from '../helpers/db';
import { testUnless, unlessCi } from '../helpers/needs';
import { LAB, useTempDirs, type TempDir } from '../helpers/inbox';
import { openDb } from '../../db/connection';
import { EMPTY_CONFIG } from '../../config/config';
import { listInbox, type InboxEntry } from '../../inbox/files';
import { processEntry } from '../../inbox/process';
import { peekFile } from '../../inbox/peek';

const temp = useTempDirs();
const NIGHT1 = path.join(LAB, 'night1/scan-in/nmap-tcp.xml');

/** Why a FIFO cannot be made here (mkfifo missing or refused in the temporary folder), or null. */
function noFifo(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-fifo-'));
  try {
    execFileSync('mkfifo', [path.join(dir, 'probe')], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return unlessCi(`mkfifo failed in ${os.tmpdir()} (${(e as Error).message.split('\n')[0]})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const NO_FIFO = noFifo();

/** scan-in/x.xml listed as the regular file it is now. */
async function listed(t: TempDir): Promise<InboxEntry> {
  t.write('scan-in/x.xml', fs.readFileSync(NIGHT1));
  const { entries } = await listInbox(t.inbox);
  expect(entries.map((e) => e.rel)).toEqual(['scan-in/x.xml']);
  expect(entries[0].stat.isFile()).toBe(true);
  return entries[0];
}

forEachDb('inbox: a file swapped after the listing', (db) => {
  testUnless(NO_FIFO, 'a FIFO swapped in goes to failed/ at once, and the peek does not wait on it either', async () => {
    const t = temp();
    const e = await listed(t);
    fs.rmSync(e.abs);
    execFileSync('mkfifo', [e.abs]);
    expect(await peekFile(e.abs, 'scan-in', EMPTY_CONFIG)).toEqual({ startedAt: null, scanner: null });
    const handle = await openDb(db.fresh());
    try {
      const r = await processEntry(handle, EMPTY_CONFIG, t.inbox, e, { startedAt: null, scanner: null }, () => new Date());
      expect(r).toEqual(expect.objectContaining({ status: 'failed', moved_to: 'failed/scan-in/x.xml' }));
      expect(r!.error).toMatch(/not a regular file/);
    } finally {
      await handle.close();
    }
    expect(fs.lstatSync(path.join(t.inbox, 'failed/scan-in/x.xml')).isFIFO()).toBe(true);
    expect(fs.readFileSync(path.join(t.inbox, 'failed/scan-in/x.xml.error.txt'), 'utf8')).toMatch(/not a regular file[\s\S]*remedy: upload the scan file itself/);
  });

  test('a symbolic link swapped in is not followed: failed/, nothing stored', async () => {
    const t = temp();
    const e = await listed(t);
    fs.rmSync(e.abs);
    fs.symlinkSync(NIGHT1, e.abs);
    const handle = await openDb(db.fresh());
    try {
      const r = await processEntry(handle, EMPTY_CONFIG, t.inbox, e, { startedAt: null, scanner: null }, () => new Date());
      expect(r).toEqual(expect.objectContaining({ status: 'failed', moved_to: 'failed/scan-in/x.xml' }));
      expect(r!.error).toMatch(/a symbolic link, not a file/);
      const [{ n }] = await handle.knex('scans').count({ n: '*' });
      expect(Number(n)).toBe(0);
    } finally {
      await handle.close();
    }
    expect(fs.lstatSync(path.join(t.inbox, 'failed/scan-in/x.xml')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(NIGHT1)).toBe(true);
  });
});
