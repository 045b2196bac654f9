// `watch --once` and `run` take a file when it is in both listings, looking the same, with at least
// the settle time between them on the monotonic clock (before, two wall-clock readings around a
// timer that may fire a millisecond early judged an unchanged file "not settled" now and then, and
// `run` exited 0 with the night's scans missing). A file that appears while they wait is still being
// written: it is reported, and `run` says so in a warning line.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { forEachDb } from '../helpers/db';
import { LAB, useTempDirs, Watcher } from '../helpers/inbox';
import { waitAtLeast } from '../../inbox/watch';

const temp = useTempDirs();

forEachDb('run: files that arrive during the settle wait', (db) => {
  test('a file that appears while run waits is left for the next run with a warning; the settled one is ingested; exit 0', async () => {
    const t = temp();
    const cfg = path.join(t.dir, 'run.yaml');
    // The settle wait is the window the new file must fall into: 10 s, so that a busy machine that
    // delays this process for a few seconds cannot push the write past the second listing.
    fs.writeFileSync(cfg, `inbox: ${t.inbox}\ninbox_settle: 10s\n`);
    t.write('scan-in/night1.xml', fs.readFileSync(path.join(LAB, 'night1/scan-in/nmap-tcp.xml')));
    const night2 = fs.readFileSync(path.join(LAB, 'night2/scan-in/nmap-tcp.xml'));
    const w = new Watcher(['--db', db.fresh(), '--config', cfg, 'run']);
    // The line comes after the first listing: the file is written as soon as it arrives.
    const listed = /inbox: 1 file\(s\) found; waiting 10000 ms/;
    w.child.stdout!.on('data', () => {
      if (listed.test(w.stdout) && !fs.existsSync(path.join(t.inbox, 'scan-in/night2.xml'))) t.write('scan-in/night2.xml', night2);
    });
    const { code } = await w.exited;
    expect(w.stdout).toMatch(listed);
    expect(w.stdout).toMatch(/scan-in\/night1\.xml: applied as scan 1 of scan-in/);
    expect(w.stdout).toMatch(/scan-in\/night2\.xml: still being written, left for the next run/);
    expect(w.stdout).toMatch(/run: 1 file\(s\): 1 applied, 0 stale, 0 duplicate, 0 failed, 0 deferred; 1 still being written/);
    expect(w.stderr).toMatch(/warning: 1 file\(s\) still being written were left for the next run: their scans are not in this run's reports/);
    expect(code).toBe(0);
    expect(t.waiting()).toEqual(['scan-in/night2.xml']);
  }, 120_000);
});

describe('waitAtLeast', () => {
  test.each([1, 2, 3, 7, 16])('returns only after %i ms have passed on the monotonic clock, however early a timer fires', async (ms) => {
    const ac = new AbortController();
    for (let i = 0; i < 40; i++) {
      const start = performance.now();
      await waitAtLeast(ms, ac.signal);
      expect(performance.now() - start).toBeGreaterThanOrEqual(ms);
    }
  });
});
