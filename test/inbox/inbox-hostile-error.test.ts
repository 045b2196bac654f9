// A bad file whose bytes hold terminal escapes, BEL, NUL and a bidi override: the error that quotes
// them, in failed/*.error.txt, on the watcher's stderr and on `ingest`'s, shows them escaped.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli } from '../helpers/cli';
import { useTempDirs } from '../helpers/inbox';

const temp = useTempDirs();
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const BAD = ['#portdelta-csv v1', '#complete=true', 'ip,proto,port,state', '10.0.0.1\x1b[2J\x1b]0;owned\x07\0\u202e,tcp,22,open', ''].join('\n');
const SHOWN = "'10.0.0.1\\x1b[2J\\x1b]0;owned\\x07\\x00\\u{202e}' is not an IP address";

forEachDb('inbox: a hostile bad file', (db) => {
  test('failed/*.error.txt and stderr quote its bytes escaped; the file itself is kept unchanged', async () => {
    const t = temp();
    const url = db.fresh();
    t.write('scan-in/bad.csv', BAD, 60);
    const r = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s']);
    expect(r.code).toBe(2);
    expect(t.files('failed')).toEqual(['scan-in/bad.csv', 'scan-in/bad.csv.error.txt']);
    const note = fs.readFileSync(path.join(t.inbox, 'failed/scan-in/bad.csv.error.txt'), 'utf8');
    expect(fs.readFileSync(path.join(t.inbox, 'failed/scan-in/bad.csv'), 'utf8')).toBe(BAD);
    for (const text of [note, r.stderr, r.stdout]) expect(text).not.toMatch(RAW);
    // Its only host record is damaged, so the file is refused at that record (issue 11.2).
    expect(note).toMatch(/line 4: no readable host record/);
    expect(note).toContain(SHOWN);
    expect(r.stderr + r.stdout).toContain(SHOWN);

    const ingest = await cli(['--db', url, 'ingest', '--scanner', 'scan-in', path.join(t.inbox, 'failed/scan-in/bad.csv')]);
    expect(ingest.code).toBe(2);
    expect(ingest.stderr).not.toMatch(RAW);
    expect(ingest.stderr).toContain(SHOWN);
  });
});
