// How much one run takes, through the spawned CLI: max_changes (lowest ids first, the rest on the
// next runs, said in the summary), since (an agent started without its backlog), and what a dry run
// says about changes whose only delivery row is a crashed run's expired claim.
import { forEachDb } from '../helpers/db';
import { ids, jsonl, ReportLab } from '../helpers/report';
import { csvText, port, up } from '../helpers/csv-scan';
import { openDb } from '../../db/connection';
import type { ChangeRow } from '../../common/types';

const DAY = 86400e3;
const ports = (ip: string, n: number) => Array.from({ length: n }, (_, i) => port(ip, 100 + i));

forEachDb('report: max_changes and since', (db) => {
  let lab: ReportLab;
  let url: string;
  let all: ChangeRow[];
  const config = (agents: object[]) => lab.config(agents, { t: {} });
  beforeAll(async () => {
    url = db.fresh();
    lab = new ReportLab(url);
    // Two scans relative to now (ten days and one day ago), so `since` as a duration has both sides.
    const now = Date.now();
    const scan = (daysAgo: number, rows: string[]) => lab.scratch.write(`t-${daysAgo}.csv`, csvText({ scanner: 't', started: new Date(now - daysAgo * DAY).toISOString(), rows }));
    await lab.ingest(config([]), scan(10, [up('10.9.0.1'), ...ports('10.9.0.1', 40)]), scan(1, [up('10.9.0.1'), ...ports('10.9.0.1', 40), up('10.9.0.2'), ...ports('10.9.0.2', 20)]));
    all = await lab.changes();
  });
  afterAll(() => lab.remove());

  test('max_changes: each run takes the lowest ids up to the limit and says how many wait; nothing is lost or repeated', async () => {
    const out = lab.path('limited.jsonl');
    const cfg = config([{ name: 'limited', kind: 'file', path: out, max_changes: 25 }]);
    const dry = await lab.reportJson(cfg, ['--dry-run']);
    expect(dry.results[0]).toMatchObject({ status: 'dry-run', waiting: all.length - 25 });
    expect(ids(dry.results[0].would!)).toEqual(ids(all).slice(0, 25));
    const lines: string[] = [];
    let sent = 0;
    while (sent < all.length) {
      const r = await lab.report(cfg);
      expect(r.code).toBe(0);
      const now = Math.min(25, all.length - sent);
      sent += now;
      lines.push(r.stdout);
      expect(ids(jsonl(out))).toEqual(ids(all).slice(0, sent));
      expect(r.stdout).toBe(`limited (file): ${now} changes delivered${sent < all.length ? `; ${all.length - sent} more waiting for the next run (max_changes)` : ''}\n`);
    }
    expect(lines).toHaveLength(Math.ceil(all.length / 25));
    expect((await lab.report(cfg)).stdout).toBe('limited (file): nothing new\n');
  });

  test('max_changes in --json: delivered and waiting per run', async () => {
    const cfg = config([{ name: 'limited-json', kind: 'file', path: lab.path('lj.jsonl'), max_changes: all.length - 1 }]);
    expect((await lab.reportJson(cfg)).results[0]).toMatchObject({ status: 'ok', delivered: all.length - 1, waiting: 1 });
    expect((await lab.reportJson(cfg)).results[0]).toMatchObject({ status: 'ok', delivered: 1, waiting: 0 });
  });

  /** The newer scan's time: changes detected from then on are those of the day-old scan. */
  const newest = () => all.map((c) => c.detected_at).sort().at(-1)!;

  test.each([
    ['a duration: only changes detected within it before each run', 'duration', () => '5d', (c: ChangeRow) => Date.parse(c.detected_at) > Date.now() - 5 * DAY],
    ['an ISO time without zone (UTC): only changes detected from then on', 'date', () => newest().slice(0, 19), (c: ChangeRow) => c.detected_at >= newest()],
  ])('since as %s', async (_t, name, since, wanted) => {
    const out = lab.path(`since-${name}.jsonl`);
    const cfg = config([{ name: `since-${name}`, kind: 'file', path: out, since: since() }]);
    const want = all.filter(wanted);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(all.length);
    expect((await lab.report(cfg)).code).toBe(0);
    expect(ids(jsonl(out))).toEqual(ids(want));
    expect((await lab.report(cfg)).stdout).toBe(`since-${name} (file): nothing new\n`);
  });

  test('dry run: a change whose only delivery row is this agent\'s expired claim is taken, not called a duplicate of itself', async () => {
    const out = lab.path('crashed.jsonl');
    const cfg = config([{ name: 'crashed', kind: 'file', path: out, target_group: 'ops' }]);
    expect((await lab.report(cfg)).code).toBe(0);
    // As a crashed run leaves them: claimed, lease run out.
    const store = await openDb(url, { migrate: false });
    try {
      await store.knex('deliveries').where({ agent: 'crashed' }).update({ status: 'claimed', lease_until: 0, claim_token: 'x'.repeat(32) });
    } finally {
      await store.close();
    }
    const dry = await lab.reportJson(cfg, ['--dry-run']);
    expect(dry.results[0]).toMatchObject({ delivered: all.length, suppressed: 0 });
    expect(dry.results[0].would!.map((w) => w.action)).toEqual(all.map(() => 'deliver'));
    // … and that is what the run then does: it takes the claims over and sends every change again.
    expect((await lab.reportJson(cfg)).results[0]).toMatchObject({ status: 'ok', delivered: all.length, suppressed: 0 });
    expect(ids(jsonl(out))).toEqual([...ids(all), ...ids(all)].sort((a, b) => a - b));
  });
});
