// Damaged records never cause negative events (DESIGN §3), end to end on real nmap output: night 3
// is ingested, then a damaged copy of night 4 (which, whole, takes files01 down and closes ports).
// A record that cannot be read is skipped with a warning naming file and line, counted in
// skipped_records, and makes the scan incomplete: new things count, nothing is closed or taken
// down. -oG whose TABs became spaces is read as the original. A file of nothing but damaged
// records is rejected (exit 2) and leaves nothing behind.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { FIXTURES, SCANS } from '../helpers/cli';
import { briefs, Session } from '../helpers/session';
import { ChangeType } from '../../common/types';

const NIGHT3 = path.join(SCANS, 'lab-a/night3/scan-in/nmap-tcp.gnmap');
const NIGHT4 = path.join(SCANS, 'lab-a/night4/scan-in/nmap-tcp.gnmap');
const damaged = (name: string): string => path.join(FIXTURES, 'damaged', name);
const NEGATIVE = ChangeType.host_down | ChangeType.port_closed;

forEachDb('damaged records in a night-2 file', (db) => {
  const afterNight3 = async (): Promise<Session> => {
    const s = new Session(db.fresh(), { scanner: 'scan-in' });
    expect((await s.ingest(NIGHT3)).summaries[0]).toMatchObject({ status: 'applied', complete: true, skipped_records: 0 });
    return s;
  };

  test('the undamaged night 4 does take a host down and close ports (what the damaged copies must not do)', async () => {
    const { added } = await (await afterNight3()).ingest(NIGHT4);
    expect(added.filter((c) => (c.type & ChangeType.host_down) !== 0).map((c) => c.ip)).toContain('10.66.1.14');
    expect(added.some((c) => c.type === ChangeType.port_closed)).toBe(true);
  });

  test.each(['lab-a-night4-spaces.gnmap', 'lab-a-night4-expanded.gnmap'])('%s (TABs turned into spaces) is read as the original', async (name) => {
    const whole = await (await afterNight3()).ingest(NIGHT4);
    const s = await afterNight3();
    const { summaries, added } = await s.ingest(damaged(name));
    expect(summaries[0]).toMatchObject({ status: 'applied', complete: true, skipped_records: 0, hosts_up: whole.summaries[0].hosts_up, ports_open: whole.summaries[0].ports_open });
    expect(summaries[0].hosts_up).toBeGreaterThan(0);
    expect(briefs(added)).toEqual(briefs(whole.added));
  });

  test.each([
    ['lab-a-night4-bad-address.xml', /lab-a-night4-bad-address\.xml, \d+:\d+: damaged record skipped: invalid ipv4 address '10\.66\.1\.316'/],
    ['lab-a-night4-bad-port.gnmap', /lab-a-night4-bad-port\.gnmap, line 258: damaged record skipped: port '70025'/],
  ])('%s: the record is skipped and counted, the scan is incomplete, nothing is closed or taken down', async (name, warning) => {
    const s = await afterNight3();
    const r = await s.run(['ingest', '--scanner', 'scan-in', '--json', damaged(name)]);
    expect(r.code).toBe(0);
    const [summary] = JSON.parse(r.stdout) as Array<{ status: string; complete: boolean; skipped_records: number; warnings: string[]; absence: object; hosts_up: number }>;
    expect(summary).toMatchObject({ status: 'applied', complete: false, skipped_records: 1, absence: { hosts: false, ports: false } });
    expect(summary.hosts_up).toBeGreaterThan(0);
    expect(summary.warnings.filter((w) => warning.test(w))).toHaveLength(1);
    const added = await s.newChanges();
    expect(added.filter((c) => (c.type & NEGATIVE) !== 0)).toEqual([]);
    // Positive evidence still counts: night 4's new port 8443 on web01... whatever is new is reported.
    expect(added.length).toBeGreaterThan(0);

    const text = await (await afterNight3()).run(['ingest', '--scanner', 'scan-in', damaged(name)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/applied \(incomplete scan\).*1 damaged record skipped/);
    expect(text.stderr).toMatch(warning);
  });

  test('a file whose every host line is damaged is rejected with its first damaged line, and nothing is stored', async () => {
    const s = await afterNight3();
    const before = await s.snapshot();
    const file = damaged('lab-a-night4-all-damaged.gnmap');
    const r = await s.run(['ingest', '--scanner', 'scan-in', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/no readable host record/);
    expect(r.stderr).toMatch(/line 3\b/);
    expect(r.stderr).toMatch(/remedy/i);
    expect(await s.snapshot()).toEqual(before);
  });
});
