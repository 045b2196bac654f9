// The no-change night (issue 17): night2.xml with every time one day later and nothing else
// changed, so that ingest sees another file (another sha-256, a later scan) with the same hosts
// and ports. It must report no change at all and still bring every up host's last_seen forward.
// Made by a streaming rewrite, so the /12 never sits in memory.
import fs from 'node:fs';
import path from 'node:path';
import { DAY, MON, ctime, type Expected, type Manifest, type NightInfo } from './generate';
import { rewriteLines } from './rewrite-lines';

export const REDATED_FILE = 'night2-redated.xml';
const REDATED_EXPECTED = 'expected-night2-redated.json';

// Every time the generator writes: seconds since the epoch in nmaprun start, host starttime and
// endtime, taskbegin/taskend and finished time; nmap's ctime text in startstr, timestr, the header
// comment and the summary.
const EPOCH = /\b(start|starttime|endtime|time)="(\d+)"/g;
const CTIME = /\b(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})\b/g;

/** One chunk of whole lines with every time moved `shift` seconds on. */
function redate(text: string, shift: number): string {
  return text
    .replace(EPOCH, (_m, name: string, t: string) => `${name}="${Number(t) + shift}"`)
    .replace(CTIME, (_m, mon: string, d: string, h: string, mi: string, s: string, y: string) =>
      ctime(Date.UTC(Number(y), MON.indexOf(mon), Number(d), Number(h), Number(mi), Number(s)) / 1000 + shift));
}

/** What the re-dated night must report: night 2's hosts and ports, one day later, no change. */
function redatedExpected(night2: NightInfo): Expected {
  const start = new Date(Date.parse(night2.start) + DAY * 1000).toISOString();
  return { ...night2, file: REDATED_FILE, start, change_count: 0, counts: {}, rows: [] };
}

/**
 * Writes night2-redated.xml and its expectation beside night2.xml, unless the manifest already
 * lists them (generate.ts's reusable() checked their size); records them in manifest.json.
 */
export function withRedated(dir: string, manifest: Manifest): Manifest {
  if (manifest.redated) return manifest;
  const night2 = manifest.nights[2];
  const bytes = rewriteLines(path.join(dir, night2.file), path.join(dir, REDATED_FILE), (text) => redate(text, DAY));
  const exp = redatedExpected(night2);
  fs.writeFileSync(path.join(dir, REDATED_EXPECTED), JSON.stringify(exp));
  const m: Manifest = { ...manifest, redated: { ...night2, file: REDATED_FILE, start: exp.start, change_count: 0, counts: {}, bytes, expected: REDATED_EXPECTED } };
  // by rename: another run reading the manifest of kept files sees the old one or the new one
  const tmp = path.join(dir, `manifest.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n');
  fs.renameSync(tmp, path.join(dir, 'manifest.json'));
  return m;
}
