// What counts as a member's view in `disagreements` (DESIGN §3, docs/change-types.md "Scanner
// groups"): "open" is the reported state after thresholds; "not open" needs the member's newest
// complete scan that had the port in scope. Real loopback nmap files and small uniform-CSV scans,
// through the spawned CLI on SQLite and PostgreSQL.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { FIXTURES } from '../helpers/cli';
import { port, Scratch, up, type CsvScan } from '../helpers/csv-scan';
import { Session } from '../helpers/session';
import type { Disagreement } from '../../common/types';

let scratch: Scratch;
beforeEach(() => (scratch = new Scratch()));
afterEach(() => scratch.remove());

const made = (f: string) => path.join(FIXTURES, 'made', f);
const H = '10.9.0.1';

async function ingest(s: Session, scanner: string, file: string): Promise<number> {
  const { summaries } = await s.ingestArgs(['--scanner', scanner, file]);
  expect(summaries[0].status).toBe('applied');
  return summaries[0].scan_id;
}

/** Writes the nights of one scanner (night 1, 2, … of the series) and ingests them; the scan ids. */
async function nights(s: Session, scanner: string, list: Array<string[] | Omit<CsvScan, 'started'>>): Promise<number[]> {
  const ids = [];
  for (const f of scratch.series(list)) ids.push(await ingest(s, scanner, f));
  return ids;
}

async function list(s: Session, ...args: string[]): Promise<Disagreement[]> {
  const r = await s.run(['disagreements', '--json', ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as Disagreement[];
}

/** One line per disagreement: 'ip port/proto scanner:view@scan …'. */
const brief = (rows: Disagreement[]) =>
  rows.map((d) => `${d.ip} ${d.port}/${d.proto} ${d.views.map((v) => `${v.scanner}:${v.view}@${v.scan_id}`).join(' ')}`);

const group = (g: string, names: string[], extra: Record<string, string | number> = {}) =>
  Object.fromEntries(names.map((n) => [n, { group: g, timezone: 'UTC', ...extra }]));

forEachDb('disagreements: whose view counts', (db) => {
  test('real nmap files: a top-100 scan or a scan of another subnet is no evidence; a complete scan covering the port is', async () => {
    const s = new Session(db.fresh(), { config: scratch.config(group('loop', ['full', 'top100', 'other-net', 'csv'])) });
    const fullId = await ingest(s, 'full', made('a-full-ports.xml'));
    await ingest(s, 'top100', made('b-top100.xml'));
    await ingest(s, 'other-net', made('d-subnet21.xml'));
    expect(await list(s)).toEqual([]);

    // The port the full scan sees and the top-100 scan does not (outside its port scope).
    const state = await s.state();
    const open = (scanner: string) => state.filter((r) => r.scanner === scanner).map((r) => `${r.ip} ${r.port}/${r.proto}`);
    const onlyFull = open('full').filter((k) => !open('top100').includes(k));
    expect(onlyFull).toHaveLength(1);

    // A complete scan of the same hosts and every port, with everything open but that port.
    const rows = state.filter((r) => r.scanner === 'full' && !onlyFull.includes(`${r.ip} ${r.port}/${r.proto}`)).map((r) => port(r.ip, r.port));
    const [csvId] = await nights(s, 'csv', [{ rows, scope: '127.0.20.0/29', ports: 'tcp:1-65535' }]);
    expect(brief(await list(s))).toEqual([`${onlyFull[0]} csv:not open@${csvId} full:open@${fullId}`]);
  });

  test('the newest complete scan that covered the port counts: later UDP, other-subnet, fewer-port or incomplete scans do not replace it', async () => {
    const s = new Session(db.fresh(), { config: scratch.config(group('g', ['p', 'q'])) });
    const [p1] = await nights(s, 'p', [[up(H), port(H, 80), port(H, 443)]]);
    const qFiles = scratch.series([
      [up(H), port(H, 80)],
      { rows: [up(H), port(H, 161, 'open', 'udp')], ports: 'udp:161' },
      { rows: [up('10.9.1.1'), port('10.9.1.1', 443)], scope: '10.9.1.0/24' },
      { rows: [up(H), port(H, 80)], ports: 'tcp:1-100' },
      { rows: [up(H), port(H, 80)], complete: false },
      [up(H), port(H, 80)],
      [up(H), port(H, 80), port(H, 443)],
    ]);
    const ids: number[] = [];
    const seen: string[][] = [];
    for (const f of qFiles) {
      ids.push(await ingest(s, 'q', f));
      seen.push(brief((await list(s)).filter((d) => d.ip === H)));
    }
    const at = (qScan: number) => [`${H} 443/tcp p:open@${p1} q:not open@${qScan}`];
    expect(seen).toEqual([at(ids[0]), at(ids[0]), at(ids[0]), at(ids[0]), at(ids[0]), at(ids[5]), []]);
  });

  test('"open" is the reported state: a port below open_after is not open yet, one within close_after still is', async () => {
    const config = scratch.config({ p: { group: 'g', open_after: 2, timezone: 'UTC' }, q: { group: 'g', close_after: 2, timezone: 'UTC' } });
    const s = new Session(db.fresh(), { config });
    const pFiles = scratch.series([[up(H), port(H, 993)], [up(H), port(H, 993)], [up(H)], [up(H)]]);
    const qFiles = scratch.series([[up(H), port(H, 993)], [up(H), port(H, 993)], [up(H)], [up(H)]]);
    const seen: string[][] = [];
    const ids: Record<string, number[]> = { p: [], q: [] };
    for (let n = 0; n < 4; n++) {
      ids.p.push(await ingest(s, 'p', pFiles[n]));
      ids.q.push(await ingest(s, 'q', qFiles[n]));
      seen.push(brief(await list(s)));
    }
    expect(seen).toEqual([
      [`${H} 993/tcp p:not open@${ids.p[0]} q:open@${ids.q[0]}`], // p has seen it once, open_after 2
      [],
      [`${H} 993/tcp p:not open@${ids.p[2]} q:open@${ids.q[1]}`], // q missed it once, close_after 2; last listed in q's night 2
      [],
    ]);
  });

  test('a host that answers on every port for one member is no evidence that a port is not open there', async () => {
    const config = scratch.config({ p: { group: 'g', max_open_ports: 5, timezone: 'UTC' }, q: { group: 'g', timezone: 'UTC' } });
    const s = new Session(db.fresh(), { config });
    const wall = '10.9.0.7';
    const [p1] = await nights(s, 'p', [[up(wall), ...Array.from({ length: 10 }, (_, i) => port(wall, i + 1)), up('10.9.0.8')]]);
    const [q1] = await nights(s, 'q', [[up(wall), port(wall, 1), up('10.9.0.8'), port('10.9.0.8', 22)]]);
    expect(brief(await list(s))).toEqual([`10.9.0.8 22/tcp p:not open@${p1} q:open@${q1}`]);
  });
});

forEachDb('disagreements: the command', (db) => {
  async function twoGroups() {
    const url = db.fresh();
    const config = scratch.config({ ...group('g1', ['p', 'q']), ...group('g2', ['r', 's']) });
    const s = new Session(url, { config });
    await nights(s, 'p', [[up(H, 'evil\u001b[31m.example'), port(H, 443)]]);
    await nights(s, 'q', [[up(H), port(H, 80)]]);
    await nights(s, 'r', [[up('10.9.0.2'), port('10.9.0.2', 22)]]);
    await nights(s, 's', [[up('10.9.0.2')]]);
    return { url, s };
  }

  test('--group, --network and --exit-code narrow the list and set the exit code', async () => {
    const { s } = await twoGroups();
    const all = await list(s);
    expect(all.map((d) => `${d.group} ${d.ip} ${d.port}`)).toEqual(['g1 10.9.0.1 80', 'g1 10.9.0.1 443', 'g2 10.9.0.2 22']);
    expect((await list(s, '--group', 'g2')).map((d) => d.group)).toEqual(['g2']);
    expect((await list(s, '--network', '10.9.0.0/31')).map((d) => `${d.ip} ${d.port}`)).toEqual(['10.9.0.1 80', '10.9.0.1 443']);
    expect((await s.run(['disagreements', '--exit-code'])).code).toBe(1);
    const none = await s.run(['disagreements', '--group', 'g2', '--network', '10.9.0.1', '--exit-code']);
    expect({ code: none.code, out: none.stdout }).toEqual({ code: 0, out: 'group g2 (r, s): no disagreements\n' });
  });

  test('text output: one row per port with each side, the hostile name escaped', async () => {
    const { s } = await twoGroups();
    const r = await s.run(['disagreements', '--group', 'g1']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('group g1 (p, q): 2 disagreements');
    expect(lines[1].split(/\s{2,}/)).toEqual(['IP', 'PORT', 'HOSTNAME', 'OPEN (last seen)', 'NOT OPEN (complete scan)']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['10.9.0.1', '80/tcp', 'evil\\x1b[31m.example', 'q 2026-01-01 02:00', 'p 2026-01-01 02:00']);
    expect(lines[3].split(/\s{2,}/)).toEqual(['10.9.0.1', '443/tcp', 'evil\\x1b[31m.example', 'p 2026-01-01 02:00', 'q 2026-01-01 02:00']);
  });

  test('an unknown group is a usage error naming the known ones; a config entry without a group takes the scanner out', async () => {
    const { url, s } = await twoGroups();
    const bad = await s.run(['disagreements', '--group', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no scanner belongs to group 'nope'");
    expect(bad.stderr).toContain('use one of: g1, g2');

    const q = new Session(url, { config: scratch.config({ ...group('g1', ['p']), q: { timezone: 'UTC' }, ...group('g2', ['r', 's']) }) });
    expect((await list(q)).map((d) => d.group)).toEqual(['g2']);
    const text = await q.run(['disagreements', '--group', 'g1']);
    expect(text.stdout).toBe('group g1 (p): only one member, nothing to compare\n');
  });
});
