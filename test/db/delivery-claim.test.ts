// claimChanges (db/delivery-repo.ts) on both databases: the group's origins handed to the decision
// are only those within the duplicate window of the claimed changes, and the lease is counted from
// the end of the claim, so a slow claim never commits leases that have already run out.
import { forEachDb } from '../helpers/db';
import { ReportLab } from '../helpers/report';
import { port, up } from '../helpers/csv-scan';
import { openDb, type Db } from '../../db/connection';
import { claimChanges, type KeyedChange } from '../../db/delivery-repo';

const H = 3600e3;
const LEASE = 5 * 60e3;

forEachDb('claimChanges', (t) => {
  let lab: ReportLab;
  let db: Db;
  let url: string;
  beforeAll(async () => {
    url = t.fresh();
    lab = new ReportLab(url);
    // Six nights, a day apart: port 80 of one host opens and closes every night.
    const nights = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? [up('10.9.0.1'), port('10.9.0.1', 80)] : [up('10.9.0.1')]));
    await lab.ingest(lab.config([], { t: {} }), ...lab.scratch.series(nights, { scanner: 't' }));
    db = await openDb(url);
  });
  afterAll(async () => {
    await db.close();
    lab.remove();
  });

  const claim = (agent: string, filter: object, windowMs: number, now: () => number, seen: (fresh: KeyedChange[], known: KeyedChange[]) => void = () => undefined) =>
    claimChanges(db, { agent, targetGroup: 'g', filter, token: agent.padEnd(32, '0'), windowMs, limit: 1000, now, leaseMs: LEASE }, (fresh, known) => {
      seen(fresh, known);
      return new Map();
    });

  test('the decision sees the group\'s origins within the window of the claimed changes, not all history', async () => {
    const first = await claim('a', {}, 24 * H, () => Date.now());
    expect(first.changes.length).toBeGreaterThan(6);
    const lastNight = Math.max(...first.changes.map((c) => Date.parse(c.detected_at)));
    let fresh: KeyedChange[] = [];
    let known: KeyedChange[] = [];
    await claim('b', { detectedFrom: lastNight }, 30 * H, () => Date.now(), (f, k) => ([fresh, known] = [f, k]));
    expect(fresh.length).toBeGreaterThan(0);
    const same = (o: KeyedChange, c: KeyedChange) => o.ip_key === c.ip_key && o.proto === c.proto && o.port === c.port && o.type === c.type;
    const want = first.changes.filter((a) => fresh.some((c) => c.ip === a.ip && c.proto === a.proto && c.port === a.port && c.type === a.type
      && Math.abs(Date.parse(a.detected_at) - c.detected_at) <= 30 * H));
    // The same event two nights earlier is history outside the window: it must not be handed in.
    const older = first.changes.filter((a) => !want.includes(a) && fresh.some((c) => c.proto === a.proto && c.port === a.port && c.type === a.type));
    expect([want.length > 0, older.length > 0]).toEqual([true, true]);
    expect(known.map((k) => k.change_id).sort((x, y) => x - y)).toEqual(want.map((c) => c.id));
    expect(known.length).toBeLessThan(first.changes.length);
    for (const k of known) expect(fresh.some((c) => same(k, c) && Math.abs(k.detected_at - c.detected_at) <= 30 * H)).toBe(true);
  });

  test('a slow claim sets the lease from the clock at its end', async () => {
    let clock = 1_000_000;
    const { changes } = await claim('slow', {}, 24 * H, () => clock, () => (clock += 10 * 60e3));
    expect(changes.length).toBeGreaterThan(0);
    const leases = await db.knex('deliveries').where({ agent: 'slow', status: 'claimed' }).distinct('lease_until');
    expect(leases.map((r: { lease_until: number }) => Number(r.lease_until))).toEqual([1_000_000 + 10 * 60e3 + LEASE]);
  });
});
