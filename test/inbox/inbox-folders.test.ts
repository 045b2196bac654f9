// Folders the watcher cannot or must not take: a scanner folder it cannot read (before, the walk
// threw and nothing at all was ingested), and a symbolic link to a folder (before, it was taken for
// a file and renamed into failed/). Each is reported with a remedy and left where it is; the other
// scanners' files are ingested; the run counts it as a failure.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, spawnCli } from '../helpers/cli';
import { LAB, TempDir, useTempDirs } from '../helpers/inbox';

const temp = useTempDirs();

const archived = (t: TempDir) => t.files('archive').map((f) => f.split('/').slice(1).join('/'));
const NOBODY = 65534;

forEachDb('inbox folders the watcher cannot take', (db) => {
  test('a scanner folder it cannot read is reported with the remedy; the other scanners are ingested; run exits 2', async () => {
    const t = temp();
    const url = db.fresh();
    t.write('scan-in/night1.xml', fs.readFileSync(path.join(LAB, 'night1/scan-in/nmap-tcp.xml')));
    t.write('scan-out/night1.gnmap', fs.readFileSync(path.join(LAB, 'night1/scan-out/nmap-tcp.gnmap')));
    t.write('scan-locked/night1.xml', fs.readFileSync(path.join(LAB, 'night1/scan-in/nmap-tcp.xml')));
    const locked = path.join(t.inbox, 'scan-locked');
    // A folder of another user with mode 0700, as the real case: the test runs as root (which reads
    // everything), so portdelta runs as 'nobody' here; run by another user, the folder gets mode 000.
    const asRoot = process.getuid?.() === 0;
    let user = {};
    if (asRoot) {
      for (const d of [t.dir, t.inbox, path.join(t.inbox, 'scan-in'), path.join(t.inbox, 'scan-out')]) fs.chmodSync(d, 0o777);
      fs.chmodSync(locked, 0o700);
      if (url.startsWith('sqlite:')) fs.chmodSync(path.dirname(url.slice('sqlite:'.length)), 0o777);
      user = { uid: NOBODY, gid: NOBODY };
    } else {
      fs.chmodSync(locked, 0o000);
    }
    const cfg = path.join(t.dir, 'run.yaml');
    fs.writeFileSync(cfg, `inbox: ${t.inbox}\ninbox_settle: 0s\nscanners:\n  scan-out:\n    timezone: UTC\n`, { mode: 0o644 });
    try {
      // As root it runs as nobody: a process of its own.
      const r = await spawnCli(['--db', url, '--config', cfg, 'run'], user);
      expect(r.stderr).toMatch(new RegExp(`scan-locked/: not ingested, will be tried again: cannot read the folder ${locked} \\(EACCES\\): nothing in it is ingested; remedy: give the portdelta user read and execute permission on it`));
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/run: 3 file\(s\): 2 applied, 0 stale, 0 duplicate, 0 failed, 1 deferred/);
      expect(archived(t).sort()).toEqual(['scan-in/night1.xml', 'scan-out/night1.gnmap']);
    } finally {
      fs.chmodSync(locked, 0o755);
    }
    expect(fs.existsSync(path.join(locked, 'night1.xml'))).toBe(true);
  });

  test('a symbolic link to a folder is left in place with a remedy, never moved; a linked archive/ is used, not moved', async () => {
    const t = temp();
    const upload = path.join(t.dir, 'upload');
    fs.mkdirSync(upload);
    fs.writeFileSync(path.join(upload, 'night1.xml'), fs.readFileSync(path.join(LAB, 'night1/scan-in/nmap-tcp.xml')));
    fs.symlinkSync(upload, path.join(t.inbox, 'scan-in'));
    const store = path.join(t.dir, 'archive-store');
    fs.mkdirSync(store);
    fs.symlinkSync(store, path.join(t.inbox, 'archive'));
    t.write('scan-out/night1.gnmap', fs.readFileSync(path.join(LAB, 'night1/scan-out/nmap-tcp.gnmap')));

    const r = await cli(['--db', db.fresh(), 'watch', t.inbox, '--once', '--settle', '0s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/scan-in\/: not ingested, will be tried again: a symbolic link to a folder \(.*upload\), not a folder: left in place.*; remedy: .*bind-mount/);
    expect(fs.lstatSync(path.join(t.inbox, 'scan-in')).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(upload)).toEqual(['night1.xml']);
    expect(fs.lstatSync(path.join(t.inbox, 'archive')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(t.inbox, 'failed'))).toBe(false);
    expect(r.stdout).toMatch(/scan-out\/night1\.gnmap: applied as scan 1 of scan-out/);
    const stored = (fs.readdirSync(store, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/'));
    expect(stored).toContain(`${fs.readdirSync(store)[0]}/scan-out/night1.gnmap`);
  });
});
