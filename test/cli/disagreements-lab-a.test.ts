// `disagreements` on the lab-a fixtures with scan-in and scan-out put into one group: after each
// night's two TCP scans, the listed (ip, port) pairs and each member's view equal the ground truth
// (group_disagreements_tcp; for the night whose scan-out file is truncated, derived from the scans).
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { SCANS } from '../helpers/cli';
import { groundTruth } from '../helpers/oracle';
import { Scratch } from '../helpers/csv-scan';
import { Session } from '../helpers/session';
import type { Disagreement } from '../../common/types';

interface GtScan {
  scanner: string;
  series: string;
  fake_start: string;
  files: string[];
  complete: boolean;
  hosts: Record<string, { hostname: string | null; open: string[] }>;
}
interface GtNight {
  night: number;
  scans: GtScan[];
}
interface GtGroupNight {
  night: number;
  note?: string;
  [list: string]: unknown;
}

const gt = groundTruth('lab-a');
const SCANNERS = ['scan-in', 'scan-out'];
const tcpScans = (n: GtNight) => SCANNERS.map((s) => n.scans.find((x) => x.scanner === s && x.series === 'tcp')!);
const NIGHTS: GtNight[] = gt.nights;
const iso = (fake: string) => new Date(fake.replace(' ', 'T') + 'Z').toISOString();
const openKeys = (scan: GtScan) => Object.entries(scan.hosts).flatMap(([ip, h]) => h.open.map((p) => `${ip} ${p}`));

/** What the ground truth's group_disagreements_tcp says for a night: key → the member that has it open. */
function fromGroundTruth(night: number): Map<string, string> | null {
  const entry = (gt.group_disagreements_tcp as GtGroupNight[]).find((g) => g.night === night)!;
  if (entry.note) return null;
  const out = new Map<string, string>();
  for (const s of SCANNERS) for (const k of entry[`open_only_${s}`] as string[]) out.set(k, s);
  return out;
}

/**
 * The same from the scans, the way DESIGN §2–3 keep state with default thresholds: a scanner
 * reports open what its latest complete TCP scan had open plus what later incomplete scans showed
 * open. Every lab-a TCP scan covers 10.66.1.0/24 and every service port, so a member without the
 * port open has it in scope of its latest complete scan.
 */
function derived(night: number) {
  const perScanner = SCANNERS.map((s, i) => {
    const scans = NIGHTS.filter((n) => n.night <= night).map((n) => tcpScans(n)[i]);
    const lastComplete = [...scans].reverse().find((x) => x.complete)!;
    const after = scans.slice(scans.indexOf(lastComplete));
    const open = new Set(after.flatMap(openKeys));
    /** The scan that last listed the key open, and the host's name there. */
    const seen = (key: string) => [...after].reverse().find((x) => openKeys(x).includes(key))!;
    return { scanner: s, lastComplete, open, seen };
  });
  const expected = new Map<string, Omit<Disagreement, 'views'> & { views: Array<Disagreement['views'][number] & { file: string }> }>();
  for (const [a, b] of [perScanner, [...perScanner].reverse()]) {
    for (const key of a.open) {
      if (b.open.has(key)) continue;
      const [ip, pp] = key.split(' ');
      const seen = a.seen(key);
      const open = { scanner: a.scanner, view: 'open' as const, scan_time: iso(seen.fake_start), file: seen.files[0], scan_id: 0 };
      const notOpen = { scanner: b.scanner, view: 'not open' as const, scan_time: iso(b.lastComplete.fake_start), file: b.lastComplete.files[0], scan_id: 0 };
      expected.set(key, {
        group: 'lab', ip, proto: 'tcp', port: parseInt(pp, 10), hostname: seen.hosts[ip].hostname ?? null,
        views: [open, notOpen].sort((x, y) => x.scanner.localeCompare(y.scanner)),
      });
    }
  }
  return expected;
}

const keyOf = (d: { ip: string; port: number; proto: string }) => `${d.ip} ${d.port}/${d.proto}`;

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

test('the derivation from the scans agrees with group_disagreements_tcp on every comparable night', () => {
  let compared = 0;
  for (const n of NIGHTS) {
    const want = fromGroundTruth(n.night);
    if (!want) continue;
    const got = new Map([...derived(n.night)].map(([k, d]) => [k, d.views.find((v) => v.view === 'open')!.scanner]));
    expect({ night: n.night, keys: Object.fromEntries([...got].sort()) }).toEqual({ night: n.night, keys: Object.fromEntries([...want].sort()) });
    compared++;
  }
  expect(compared).toBeGreaterThanOrEqual(4);
});

forEachDb('disagreements on lab-a', (db) => {
  test('night by night, with both scanners in one group, the list equals the ground truth', async () => {
    const config = scratch.config({ 'scan-in': { group: 'lab', timezone: 'UTC' }, 'scan-out': { group: 'lab', timezone: 'UTC' } });
    const s = new Session(db.fresh(), { config });
    const scanIds = new Map<string, number>();
    let truncatedId = 0;
    for (const n of NIGHTS) {
      for (const scan of tcpScans(n)) {
        const file = scan.files.find((f) => f.endsWith('.xml'))!;
        const { summaries } = await s.ingestArgs(['--scanner', scan.scanner, path.join(SCANS, 'lab-a', file)]);
        expect(summaries[0]).toMatchObject({ status: 'applied', complete: scan.complete });
        scanIds.set(file, summaries[0].scan_id);
        if (!scan.complete) truncatedId = summaries[0].scan_id;
      }
      const got = JSON.parse((await s.run(['disagreements', '--json'])).stdout) as Disagreement[];
      const want = derived(n.night);
      const gtKeys = fromGroundTruth(n.night);
      if (gtKeys) expect({ night: n.night, keys: got.map(keyOf).sort() }).toEqual({ night: n.night, keys: [...gtKeys.keys()].sort() });
      const expected = [...want.values()].map((d) => ({ ...d, views: d.views.map(({ file, ...v }) => ({ ...v, scan_id: scanIds.get(file)! })) }));
      const order = (list: Disagreement[]) => [...list].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
      expect({ night: n.night, list: order(got) }).toEqual({ night: n.night, list: order(expected) });
      expect(got.length).toBeGreaterThan(0);
    }
    expect(truncatedId).toBeGreaterThan(0); // night 4's scan-out file was there, and incomplete
  });

  test('the truncated scan-out file of night 4 is not taken as its latest complete scan', async () => {
    const config = scratch.config({ 'scan-in': { group: 'lab', timezone: 'UTC' }, 'scan-out': { group: 'lab', timezone: 'UTC' } });
    const s = new Session(db.fresh(), { config });
    const ids: Record<string, number> = {};
    for (const n of NIGHTS.filter((x) => x.night <= 4)) {
      for (const scan of tcpScans(n)) {
        const { summaries } = await s.ingestArgs(['--scanner', scan.scanner, path.join(SCANS, 'lab-a', scan.files[0])]);
        ids[`${scan.scanner}/${n.night}`] = summaries[0].scan_id;
      }
    }
    const got = JSON.parse((await s.run(['disagreements', '--json'])).stdout) as Disagreement[];
    const outViews = got.flatMap((d) => d.views).filter((v) => v.scanner === 'scan-out' && v.view === 'not open');
    expect(outViews.length).toBeGreaterThan(0);
    expect(new Set(outViews.map((v) => v.scan_id))).toEqual(new Set([ids['scan-out/3']]));
    // The hosts it did not reach before it stopped are not taken as gone from outside either.
    expect(got.find((d) => d.ip === '10.66.1.14' && d.port === 22)?.views.map((v) => `${v.scanner}:${v.view}`)).toEqual(['scan-in:not open', 'scan-out:open']);
  });

  test('in different groups (inside, outside) the same scans give no disagreement; the group in the config wins over the stored one', async () => {
    const together = scratch.config({ 'scan-in': { group: 'lab', timezone: 'UTC' }, 'scan-out': { group: 'lab', timezone: 'UTC' } });
    const apart = scratch.config({ 'scan-in': { group: 'inside', timezone: 'UTC' }, 'scan-out': { group: 'outside', timezone: 'UTC' } });
    const url = db.fresh();
    const s = new Session(url, { config: apart });
    for (const scan of tcpScans(NIGHTS[0])) await s.ingestArgs(['--scanner', scan.scanner, path.join(SCANS, 'lab-a', scan.files[0])]);

    expect(JSON.parse((await s.run(['disagreements', '--json'])).stdout)).toEqual([]);
    const text = await s.run(['disagreements']);
    expect(text.stdout).toBe('group inside (scan-in): only one member, nothing to compare\ngroup outside (scan-out): only one member, nothing to compare\n');

    // Stored at ingest: inside/outside. A config that joins them decides without a new ingest.
    const joined = new Session(url, { config: together });
    const got = JSON.parse((await joined.run(['disagreements', '--json'])).stdout) as Disagreement[];
    expect(got.map(keyOf).sort()).toEqual([...fromGroundTruth(1)!.keys()].sort());
    expect(new Set(got.map((d) => d.group))).toEqual(new Set(['lab']));

    // Without a config, the groups stored at ingest count.
    const bare = new Session(url);
    expect(JSON.parse((await bare.run(['disagreements', '--json'])).stdout)).toEqual([]);
  });
});
