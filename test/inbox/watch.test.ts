// The inbox watcher through the spawned CLI (DESIGN §7): a file is taken only once complete,
// oldest scan first, each exactly once across a kill -9, bad files to failed/ with the reason,
// archive/ for the rest; SIGTERM ends it cleanly after the current file.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli } from '../helpers/cli';
import { Session } from '../helpers/session';
import { comparableSet, labFiles, LAB, TempDir, waitFor, Watcher } from '../helpers/inbox';
import { openDb } from '../../db/connection';

const CONFIG = 'scanners:\n  scan-out:\n    timezone: UTC\n';
const archived = (t: TempDir) => t.files('archive');

let temps: TempDir[] = [];
function temp(): TempDir {
  const t = new TempDir();
  temps.push(t);
  fs.writeFileSync(path.join(t.dir, 'portdelta.yaml'), CONFIG);
  return t;
}
afterEach(() => {
  for (const t of temps) t.remove();
  temps = [];
});

/** The changes of ingesting `files` one by one, in this order, into a fresh database. */
async function direct(url: string, config: string, files: string[]): Promise<string[]> {
  const s = new Session(url, { config });
  const scannerOf = (f: string) => f.split(path.sep).slice(-2)[0];
  // Scanners keep separate state, so each one's files go in one command, in the given order.
  for (const scanner of new Set(files.map(scannerOf))) {
    await s.ingestArgs(['--scanner', scanner, ...files.filter((f) => scannerOf(f) === scanner)]);
  }
  return comparableSet(await s.changes());
}

async function scanRows(url: string): Promise<number> {
  const db = await openDb(url);
  try {
    const [{ n }] = await db.knex('scans').count({ n: '*' });
    return Number(n);
  } finally {
    await db.close();
  }
}

forEachDb('watch', (db) => {
  // The settle time is the only thing between a pause of the writer and a half-read file, so it is
  // many times the pauses: this test must not fail because a busy machine stalled the writer.
  test('a file written slowly in pieces is taken only once complete', async () => {
    const t = temp();
    const cfg = path.join(t.dir, 'portdelta.yaml');
    const url = db.fresh();
    const night1 = fs.readFileSync(path.join(LAB, 'night1/scan-in/nmap-tcp.xml'));
    fs.mkdirSync(path.join(t.inbox, 'scan-in'));
    // Pauses longer than the poll interval (1 s), so the watcher sees the file grow.
    const w = new Watcher(['--db', url, '--config', cfg, 'watch', t.inbox, '--settle', '10s']);
    await waitFor('the watcher started', () => /watching /.test(w.stderr));
    const slow = path.join(t.inbox, 'scan-in', 'slow.xml');
    const pieces = 4;
    for (let i = 0; i < pieces; i++) {
      fs.appendFileSync(slow, night1.subarray(Math.floor((i * night1.length) / pieces), Math.floor(((i + 1) * night1.length) / pieces)));
      expect(archived(t)).toEqual([]);
      await new Promise((r) => setTimeout(r, 1100));
    }
    await waitFor('slow.xml archived', () => archived(t).some((f) => f.endsWith('scan-in/slow.xml')), 150_000);
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    expect(w.stdout).toMatch(/scan-in\/slow\.xml: applied as scan \d+ of scan-in .*archived as archive\//);
    expect(w.stdout).not.toMatch(/incomplete/);
    expect(t.files('failed')).toEqual([]);
    expect(comparableSet(await new Session(url).changes())).toEqual(await direct(db.fresh(), cfg, [path.join(LAB, 'night1/scan-in/nmap-tcp.xml')]));
  }, 240_000);

  test('.part and dot files are left alone; the file renamed from .part is taken', async () => {
    const t = temp();
    const cfg = path.join(t.dir, 'portdelta.yaml');
    const url = db.fresh();
    const [night1, night2] = [1, 2].map((n) => fs.readFileSync(path.join(LAB, `night${n}/scan-in/nmap-tcp.xml`)));
    // Night 1's scan in a .part and a dot file, night 2 complete: were either of the first two
    // taken, then (an older scan, listed as long) before night 2. So once night 2 is archived, the
    // watcher has passed them by: no waiting for a time that a busy machine could overrun.
    t.write('scan-in/.night1.xml', night1);
    t.write('scan-in/night1.xml.part', night1.subarray(0, night1.length - 100));
    t.write('scan-in/night2.xml', night2);
    const w = new Watcher(['--db', url, '--config', cfg, 'watch', t.inbox, '--settle', '200ms']);
    await waitFor('night2.xml archived', () => archived(t).some((f) => f.endsWith('scan-in/night2.xml')));
    expect(archived(t)).toHaveLength(1);
    expect(t.waiting()).toEqual(['scan-in/.night1.xml', 'scan-in/night1.xml.part']);

    fs.appendFileSync(path.join(t.inbox, 'scan-in/night1.xml.part'), night1.subarray(night1.length - 100));
    fs.renameSync(path.join(t.inbox, 'scan-in/night1.xml.part'), path.join(t.inbox, 'scan-in/night1.xml'));
    await waitFor('night1.xml archived', () => archived(t).some((f) => f.endsWith('scan-in/night1.xml')));
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    expect(w.stdout).toMatch(/scan-in\/night1\.xml: stale as scan \d+/);
    expect(t.files('failed')).toEqual([]);
    expect(t.waiting()).toEqual(['scan-in/.night1.xml']);
    expect(comparableSet(await new Session(url).changes())).toEqual(await direct(db.fresh(), cfg, [path.join(LAB, 'night2/scan-in/nmap-tcp.xml')]));
  });

  test('kill -9 in the middle of a full inbox, then a restart: every file archived once, the same changes as ingesting in order', async () => {
    const t = temp();
    const cfg = path.join(t.dir, 'portdelta.yaml');
    const url = db.fresh();
    const files = labFiles();
    const early = files.filter((f) => /^night[123]-/.test(f.name));
    const late = files.filter((f) => !early.includes(f));
    t.fill(early);
    const w = new Watcher(['--db', url, '--config', cfg, 'watch', t.inbox, '--settle', '5s']);
    await waitFor('three files archived', () => archived(t).length >= 3);
    // The later nights arrive, and the kill follows at once: the watcher takes none of them before
    // they have looked the same for 5 s, so it dies with them waiting however busy the machine is,
    // and wherever it was in the earlier nights.
    t.fill(late);
    w.child.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    expect(archived(t).length + t.waiting().length).toBe(files.length); // nothing lost
    expect(t.waiting().length).toBeGreaterThanOrEqual(late.length); // killed in the middle, not after the end

    const again = await cli(['--db', url, '--config', cfg, 'watch', t.inbox, '--once', '--settle', '200ms']);
    expect(again.stderr).not.toMatch(/failed|not ingested/);
    expect(again.code).toBe(0);
    expect(t.waiting()).toEqual([]);
    expect(t.files('failed')).toEqual([]);
    const names = archived(t).map((f) => f.split('/').slice(1).join('/')).sort();
    expect(names).toEqual(files.map((f) => `${f.scanner}/${f.name}`).sort()); // each once, none renamed for a clash
    expect(await scanRows(url)).toBe(files.length);
    const expected = await direct(db.fresh(), cfg, files.map((f) => f.source));
    expect(comparableSet(await new Session(url).changes())).toEqual(expected);
  }, 240_000);

  test('SIGTERM finishes the current file and exits 0; what was archived is exactly what was stored', async () => {
    const t = temp();
    const url = db.fresh();
    const files = labFiles();
    t.fill(files);
    const w = new Watcher(['--db', url, '--config', path.join(t.dir, 'portdelta.yaml'), 'watch', t.inbox, '--settle', '200ms']);
    await waitFor('a file archived', () => archived(t).length >= 1);
    w.child.kill('SIGTERM');
    const { code } = await w.exited;
    expect(code).toBe(0);
    expect(w.stderr).toMatch(/SIGTERM: finishing the current file/);
    expect(t.files('failed')).toEqual([]);
    expect(archived(t).length + t.waiting().length).toBe(files.length);
    expect(await scanRows(url)).toBe(archived(t).length);
  }, 180_000);

  test('a bad file goes to failed/ with the reason beside it, and the good files around it are ingested', async () => {
    const t = temp();
    const cfg = path.join(t.dir, 'portdelta.yaml');
    const url = db.fresh();
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    t.write('scan-in/noise.bin', noise, 600);
    const night1 = path.join(LAB, 'night1/scan-in/nmap-tcp.xml');
    t.write('scan-in/night1.xml', fs.readFileSync(night1), 500);
    // Broken in the middle (a damaged record alone would be skipped, not fail the file).
    const broken = fs.readFileSync(path.join(LAB, 'night2/scan-in/nmap-tcp.xml'), 'utf8').replace('</host>', '</hots>');
    t.write('scan-in/broken.xml', broken, 400);
    t.write('loose.xml', fs.readFileSync(path.join(LAB, 'night1/scan-out/nmap-tcp.xml')), 300);
    const csv = '#portdelta-csv v1\n#scanner=lab-csv\n#started=2025-03-03T04:00:00Z\n#complete=true\n#scope=10.66.1.0/24\n#ports=tcp:1-1024\nip,proto,port,state,hostname,seen_at\n10.66.1.10,tcp,22,open,,\n';
    t.write('named.csv', csv, 200);

    const r = await cli(['--db', url, '--config', cfg, 'watch', t.inbox, '--once', '--settle', '200ms']);
    expect(r.code).toBe(2);
    expect(t.files('failed')).toEqual([
      'loose.xml', 'loose.xml.error.txt', 'scan-in/broken.xml', 'scan-in/broken.xml.error.txt', 'scan-in/noise.bin', 'scan-in/noise.bin.error.txt',
    ]);
    const note = (f: string) => fs.readFileSync(path.join(t.inbox, 'failed', f), 'utf8');
    expect(note('scan-in/noise.bin.error.txt')).toMatch(/matches none of the known formats/);
    expect(note('scan-in/broken.xml.error.txt')).toMatch(/\d+:\d+: malformed XML/);
    expect(note('loose.xml.error.txt')).toMatch(/put the file into inbox\/<scanner>\//);
    expect(r.stderr).toMatch(/scan-in\/noise\.bin: failed: .*moved to failed\/scan-in\/noise\.bin/);
    expect(archived(t).map((f) => f.split('/').slice(1).join('/')).sort()).toEqual(['named.csv', 'scan-in/night1.xml']);
    expect(t.waiting()).toEqual([]);
    const s = new Session(db.fresh(), { config: cfg });
    await s.ingestArgs(['--scanner', 'scan-in', night1]);
    const csvCopy = path.join(t.dir, 'named.csv');
    fs.writeFileSync(csvCopy, csv);
    await s.ingestArgs([csvCopy]);
    expect(comparableSet(await new Session(url).changes())).toEqual(comparableSet(await s.changes()));
  });

  test('a file ingested before a crash (committed, not yet archived) is archived as a duplicate and changes nothing', async () => {
    const t = temp();
    const url = db.fresh();
    const night1 = path.join(LAB, 'night1/scan-in/nmap-tcp.xml');
    const s = new Session(url);
    await s.ingestArgs(['--scanner', 'scan-in', night1]);
    const before = await s.changes();
    t.write('scan-in/night1.xml', fs.readFileSync(night1));
    const r = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ file: 'scan-in/night1.xml', scanner: 'scan-in', status: 'duplicate', moved_to: expect.stringMatching(/^archive\/\d{4}-\d\d-\d\d\/scan-in\/night1\.xml$/) })]);
    expect(await s.changes()).toEqual(before);
    expect(await scanRows(url)).toBe(1);
  });
});

forEachDb('run', (db) => {
  test('ingests the configured inbox, says there are no output agents, and exits 2 when a file failed', async () => {
    const t = temp();
    const url = db.fresh();
    const cfg = path.join(t.dir, 'run.yaml');
    fs.writeFileSync(cfg, `${CONFIG}inbox: ${t.inbox}\ninbox_settle: 200ms\n`);
    t.fill(labFiles().filter((f) => f.name.startsWith('night1-')));
    const ok = await cli(['--db', url, '--config', cfg, 'run']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/scan-in\/night1-tcp\.xml: applied as scan/);
    expect(ok.stdout).toMatch(/output agents: none configured/);
    expect(ok.stdout).toMatch(/run: 4 file\(s\): 4 applied, 0 stale, 0 duplicate, 0 failed, 0 deferred; 0 agent\(s\), 0 failed/);

    t.write('scan-in/junk.txt', 'not a scan\n');
    t.fill(labFiles().filter((f) => f.name.startsWith('night2-')));
    const bad = await cli(['--db', url, '--config', cfg, 'run', '--json']);
    expect(bad.code).toBe(2);
    const out = JSON.parse(bad.stdout);
    expect(out.failed).toBe(true);
    expect(out.agents).toEqual([]);
    expect(out.files.map((f: { file: string; status: string }) => `${f.file} ${f.status}`).sort()).toEqual([
      'scan-in/junk.txt failed', 'scan-in/night2-tcp.xml applied', 'scan-out/night2-tcp.gnmap applied',
    ]);
  });

  test('then runs every output agent: each change of the night once; a failing agent makes it exit 2', async () => {
    const t = temp();
    const url = db.fresh();
    const cfg = path.join(t.dir, 'run.yaml');
    const jsonl = path.join(t.dir, 'changes.jsonl');
    fs.writeFileSync(cfg, `${CONFIG}inbox: ${t.inbox}\ninbox_settle: 200ms\noutput_agents:\n`
      + `  - { name: siem, kind: file, path: ${JSON.stringify(jsonl)}, format: jsonl, include_baseline: true }\n`
      + `  - { name: broken, kind: hook, command: [${JSON.stringify(process.execPath)}, -e, "process.exit(3)"], per: batch }\n`);
    t.fill(labFiles().filter((f) => /^night[12]-/.test(f.name)));
    const r = await cli(['--db', url, '--config', cfg, 'run']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/agent siem \(file\): \d+ changes delivered/);
    expect(r.stderr).toMatch(/agent broken \(hook\): FAILED: .*will be retried on the next run/);
    expect(r.stdout).toMatch(/2 agent\(s\), 1 failed/);
    const delivered = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id as number);
    const changes = await new Session(url, { config: cfg }).changes();
    expect(changes.length).toBeGreaterThan(0);
    expect(delivered).toEqual(changes.map((c) => c.id));
    // The next night: only its changes reach the file agent.
    t.fill(labFiles().filter((f) => f.name.startsWith('night3-')));
    await cli(['--db', url, '--config', cfg, 'run']);
    const after = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id as number);
    const all = (await new Session(url, { config: cfg }).changes()).map((c) => c.id);
    expect(after).toEqual(all);
    expect(all.length).toBeGreaterThan(changes.length);
  });

  test('without an inbox it is a usage error', async () => {
    const r = await cli(['--db', db.fresh(), 'run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no inbox given[\s\S]*remedy: give --inbox DIR, or set 'inbox:'/);
  });
});

describe('watch and run refuse bad settings with a remedy', () => {
  test('a bad inbox_settle, a bad --settle and a missing inbox are usage errors (exit 2)', async () => {
    const t = temp();
    const url = `sqlite:${path.join(t.dir, 'x.sqlite')}`;
    const cfg = path.join(t.dir, 'bad.yaml');
    fs.writeFileSync(cfg, `inbox: ${t.inbox}\ninbox_settle: soon\n`);
    const badConfig = await cli(['--db', url, '--config', cfg, 'run']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/inbox_settle: 'soon' is not a duration/);
    const badOption = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', 'soon']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/--settle: 'soon' is not a duration[\s\S]*remedy/);
    const missing = await cli(['--db', url, 'watch', path.join(t.dir, 'nope'), '--once']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/the inbox .*nope does not exist[\s\S]*remedy: create it/);
  });
});
