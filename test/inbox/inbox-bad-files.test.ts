// Files that used to stop the watcher: before, any error that was not a ScanRejectedError counted as
// "not the file's fault", so the file stayed, the daemon retried the same oldest file forever and
// nothing behind it was ingested (and `run` exited 2 every night). Each trigger now either fails the
// file alone (failed/ with the reason) or is ingested the same way on SQLite and PostgreSQL; and a
// file that really cannot be handled now waits out its back-off while the files behind it go on.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli } from '../helpers/cli';
import { LAB, TempDir, useTempDirs, waitFor, Watcher } from '../helpers/inbox';
import { openDb } from '../../db/connection';

const temp = useTempDirs();

const NIGHT1 = path.join(LAB, 'night1/scan-in/nmap-tcp.xml');
const archived = (t: TempDir) => t.files('archive').map((f) => f.split('/').slice(1).join('/'));
const note = (t: TempDir, f: string) => fs.readFileSync(path.join(t.inbox, 'failed', `${f}.error.txt`), 'utf8');
const csv = (header: string[], rows: string[]) => ['#portdelta-csv v1', ...header, '#complete=true', ...rows].join('\n') + '\n';

async function row<T>(url: string, table: string, columns: string[]): Promise<T> {
  const db = await openDb(url);
  try {
    return (await db.knex(table).select(columns).first()) as T;
  } finally {
    await db.close();
  }
}

forEachDb('inbox: files that used to stop the watcher', (db) => {
  test('a uniform CSV whose #started= no scan can have goes to failed/ with its line; the file behind it is ingested', async () => {
    const t = temp();
    const url = db.fresh();
    t.write('scan-in/bad.csv', csv(['#started=99999999999999'], ['ip,proto,port,state', '10.0.0.1,tcp,22,open']), 7 * 86400);
    t.write('scan-in/night1.xml', fs.readFileSync(NIGHT1));
    const r = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/not ingested/);
    expect(t.files('failed')).toEqual(['scan-in/bad.csv', 'scan-in/bad.csv.error.txt']);
    expect(note(t, 'scan-in/bad.csv')).toMatch(/line 2: bad '#started=' value '99999999999999': .*outside 1990-2099[\s\S]*remedy: .*clock/);
    expect(archived(t)).toEqual(['scan-in/night1.xml']);
  });

  test('values longer than their columns (mac, #tool, #tool_version, #timezone, service, hostname) are stored cut, the same on every database', async () => {
    const t = temp();
    const url = db.fresh();
    const long = (c: string, n: number) => c.repeat(n);
    t.write('scan-in/long.csv', csv(
      ['#started=2025-03-03T02:00:00Z', `#tool=${long('t', 45)}`, `#tool_version=${long('v', 50)}`, `#timezone=${long('z', 70)}`, '#scope=10.0.0.0/30', '#ports=tcp:1-1024'],
      ['ip,proto,port,state,hostname,mac,service', `10.0.0.1,tcp,22,open,${long('h', 300)}.example,${long('m', 40)},${long('s', 150)}\u0000`],
    ));
    const r = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [line] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toEqual(expect.objectContaining({ status: 'applied', file: 'scan-in/long.csv' }));
    expect(line.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/tool is longer than 40 characters/), expect.stringMatching(/tool_version is longer than 40/), expect.stringMatching(/timezone is longer than 64/),
    ]));
    expect(await row(url, 'scans', ['tool', 'tool_version', 'timezone'])).toEqual({ tool: long('t', 40), tool_version: long('v', 40), timezone: long('z', 64) });
    expect(await row(url, 'host_state', ['mac', 'hostname'])).toEqual({ mac: long('m', 32), hostname: long('h', 255) });
    expect(await row(url, 'port_state', ['service'])).toEqual({ service: long('s', 100) });
  });

  test('a file that cannot be moved away does not block the daemon: the good file behind it is ingested', async () => {
    const t = temp();
    const url = db.fresh();
    // failed/scan-in is a file, so a bad file of scan-in cannot be moved there: not the file's fault, it stays.
    t.write('failed/scan-in', 'in the way\n');
    t.write('scan-in/junk.txt', 'not a scan\n', 20 * 365 * 86400); // the oldest: taken first
    t.write('scan-in/night1.xml', fs.readFileSync(NIGHT1));
    const w = new Watcher(['--db', url, 'watch', t.inbox, '--settle', '100ms']);
    try {
      await waitFor('night1.xml archived behind the stuck file', () => archived(t).includes('scan-in/night1.xml'), 30_000);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    expect(w.stderr).toMatch(/scan-in\/junk\.txt: not ingested, will be tried again: /);
    expect(w.stdout).toMatch(/scan-in\/night1\.xml: applied as scan 1 of scan-in/);
    expect(t.waiting()).toEqual(['scan-in/junk.txt']);
  });

  test('an unknown format in the inbox gets an inbox remedy, not --format', async () => {
    const t = temp();
    t.write('scan-in/notes.txt', 'these are my notes, not a scan\n');
    const r = await cli(['--db', db.fresh(), 'watch', t.inbox, '--once', '--settle', '0s']);
    expect(r.code).toBe(2);
    const text = note(t, 'scan-in/notes.txt');
    expect(text).toMatch(/matches none of the known formats/);
    expect(text).toMatch(/remedy: put the scanner's output into inbox\/scan-in\/ as the scanner wrote it \(known formats: .*nmap-xml.*\); .*portdelta convert --format FORMAT FILE > inbox\/scan-in\/NAME\.csv/);
    expect(text).not.toMatch(/give --format/);
  });
});
