// `cleanup` through the spawned CLI: the counts it prints are the rows that left each table, a dry
// run prints the same counts and changes nothing, and what stays is untouched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachDb, withDb } from '../helpers/db';
import { cli, cliJson } from '../helpers/cli';
import { Session } from '../helpers/session';
import { labFiles, LAB } from '../helpers/inbox';
import type { Knex } from 'knex';
import { ipKey } from '../../common/ip';

const TABLES = ['deliveries', 'changes', 'port_state', 'port_facts', 'host_state', 'scan_host_scope', 'scan_port_scope', 'scans', 'scanners'] as const;
type Counts = Record<(typeof TABLES)[number], number>;
interface CleanupOut { dry_run: boolean; deleted: Counts }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cleanup-'));
const CONFIG = path.join(dir, 'portdelta.yaml');
fs.writeFileSync(CONFIG, 'scanners:\n  scan-out:\n    timezone: UTC\n');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const count = async (q: PromiseLike<Array<Record<string, unknown>>>): Promise<number> => Number(Object.values((await q)[0])[0]);

async function tableCounts(url: string): Promise<Counts> {
  return withDb(url, async ({ knex }) => {
    const out = {} as Counts;
    for (const t of TABLES) out[t] = await count(knex(t).count({ n: '*' }));
    return out;
  });
}

const minus = (a: Counts, b: Counts): Counts => Object.fromEntries(TABLES.map((t) => [t, a[t] - b[t]])) as Counts;

/** All lab-a nights for both scanners, and deliveries by two agents (every change, and every other one). */
async function loaded(url: string): Promise<Session> {
  const s = new Session(url, { config: CONFIG });
  const files = labFiles();
  for (const scanner of ['scan-in', 'scan-out']) {
    await s.ingestArgs(['--scanner', scanner, ...files.filter((f) => f.scanner === scanner).map((f) => f.source)]);
  }
  await withDb(url, async ({ knex }) => {
    const changes = await knex('changes').select('id', 'ip_key', 'proto', 'port', 'type', 'detected_at').orderBy('id');
    const rows = changes.flatMap((c: Record<string, unknown>, i: number) => {
      const base = { change_id: c.id, ip_key: c.ip_key, proto: c.proto, port: c.port, type: c.type, detected_at: c.detected_at, status: 'delivered', delivered_at: Date.now() };
      return i % 2 ? [{ ...base, agent: 'soc-mail', target_group: 'soc' }] : [{ ...base, agent: 'soc-mail', target_group: 'soc' }, { ...base, agent: 'siem', target_group: null }];
    });
    for (let i = 0; i < rows.length; i += 100) await knex('deliveries').insert(rows.slice(i, i + 100));
  });
  return s;
}

/** Dry run, then the real run: both print the same counts; the dry run changed nothing; the counts are what left the tables. */
async function cleanupChecked(url: string, args: string[]): Promise<Counts> {
  const before = await tableCounts(url);
  const dry = await cliJson<CleanupOut>(['--db', url, 'cleanup', ...args, '--dry-run']);
  expect(dry.dry_run).toBe(true);
  expect(await tableCounts(url)).toEqual(before);
  const real = await cliJson<CleanupOut>(['--db', url, 'cleanup', ...args]);
  expect(real.dry_run).toBe(false);
  expect(real.deleted).toEqual(dry.deleted);
  expect(minus(before, await tableCounts(url))).toEqual(real.deleted);
  return real.deleted;
}

/** Rows of each state/change table that match a condition on (scanner_id, ip_key), and the deliveries of those changes. */
interface StateKey {
  scanner_id: number;
  ip_key: string;
  last_seen: number | string;
}

async function rowsWhere(url: string, match: (q: Knex.QueryBuilder) => void): Promise<Pick<Counts, 'deliveries' | 'changes' | 'port_state' | 'port_facts' | 'host_state'>> {
  return withDb(url, async ({ knex }) => ({
    deliveries: await count(knex('deliveries').whereIn('change_id', knex('changes').select('id').where(match)).count({ n: '*' })),
    changes: await count(knex('changes').where(match).count({ n: '*' })),
    port_state: await count(knex('port_state').where(match).count({ n: '*' })),
    port_facts: await count(knex('port_facts').where(match).count({ n: '*' })),
    host_state: await count(knex('host_state').where(match).count({ n: '*' })),
  }));
}

const zeroScans = { scan_host_scope: 0, scan_port_scope: 0, scans: 0, scanners: 0 };

forEachDb('cleanup', (db) => {
  test('--ip deletes exactly that address\'s state, changes and deliveries; the other hosts are untouched', async () => {
    const url = db.fresh();
    const s = await loaded(url);
    const ip = '10.66.1.10';
    const expected = await rowsWhere(url, (q) => { q.where('ip_key', ipKey(ip)); });
    expect(expected.changes).toBeGreaterThan(0);
    expect(expected.deliveries).toBeGreaterThan(expected.changes);
    const others = await s.snapshot();
    const deleted = await cleanupChecked(url, ['--ip', ip]);
    expect(deleted).toEqual({ ...expected, ...zeroScans });
    const after = await s.snapshot();
    expect(after.changes).toEqual(others.changes.filter((c) => c.ip !== ip));
    expect(after.state).toEqual(others.state.filter((c) => c.ip !== ip));
    expect(after.hosts).toEqual(others.hosts.filter((c) => c.ip !== ip));
  });

  test('--range with --scanner deletes only that scanner\'s rows in the range', async () => {
    const url = db.fresh();
    const s = await loaded(url);
    const scanOut = await withDb(url, async ({ knex }) => Number((await knex('scanners').where({ name: 'scan-out' }).first('id')).id));
    const [lo, hi] = [ipKey('10.66.1.14'), ipKey('10.66.1.17')];
    const expected = await rowsWhere(url, (q) => { q.where('scanner_id', scanOut).whereBetween('ip_key', [lo, hi]); });
    expect(expected.host_state).toBeGreaterThan(0);
    const before = await s.snapshot();
    const deleted = await cleanupChecked(url, ['--range', '10.66.1.14-17', '--scanner', 'scan-out']);
    expect(deleted).toEqual({ ...expected, ...zeroScans });
    const inRange = (r: { scanner: string; ip: string | null }) => r.scanner === 'scan-out' && r.ip !== null && ipKey(r.ip) >= lo && ipKey(r.ip) <= hi;
    const after = await s.snapshot();
    expect(after.hosts).toEqual(before.hosts.filter((r) => !inRange(r)));
    expect(after.changes).toEqual(before.changes.filter((r) => !inRange(r)));
  });

  test('--scanner deletes the scanner and everything of it; the other scanner is untouched and the name can start afresh', async () => {
    const url = db.fresh();
    const s = await loaded(url);
    const expected = await withDb(url, async ({ knex }) => {
      const id = Number((await knex('scanners').where({ name: 'scan-out' }).first('id')).id);
      const scans = knex('scans').select('id').where({ scanner_id: id });
      return {
        ...(await rowsWhere(url, (q) => { q.where('scanner_id', id); })),
        scan_host_scope: await count(knex('scan_host_scope').whereIn('scan_id', scans).count({ n: '*' })),
        scan_port_scope: await count(knex('scan_port_scope').whereIn('scan_id', scans).count({ n: '*' })),
        scans: await count(knex('scans').where({ scanner_id: id }).count({ n: '*' })),
        scanners: 1,
      };
    });
    const before = await s.snapshot();
    expect(await cleanupChecked(url, ['--scanner', 'scan-out'])).toEqual(expected);
    const after = await s.snapshot();
    const inside = (list: Array<{ scanner: string }>) => list.filter((r) => r.scanner === 'scan-in');
    expect(after).toEqual({ changes: inside(before.changes), state: inside(before.state), hosts: inside(before.hosts) });
    const { summaries } = await s.ingestArgs(['--scanner', 'scan-out', path.join(LAB, 'night1/scan-out/nmap-tcp.gnmap')]);
    expect(summaries[0].status).toBe('applied');
    expect(summaries[0].changes.new_host).toBeGreaterThan(0);
  });

  test('--older-than (a date or a duration) deletes what is older, keeps each scanner\'s newest scan, and later files still judge stale', async () => {
    const url = db.fresh();
    const s = await loaded(url);
    const cutoff = Date.parse('2025-03-07T12:00:00Z');
    const expected = await withDb(url, async ({ knex }) => {
      // last_seen: a number on SQLite, a bigint string on PostgreSQL; as the views derive it (a row
      // that later scans saw unchanged keeps an older stored one, migration 011)
      const hosts: StateKey[] = await knex('host_now').select('scanner_id', 'ip_key', 'last_seen');
      const oldHost = new Set(hosts.filter((h) => Number(h.last_seen) < cutoff).map((h) => `${h.scanner_id} ${h.ip_key}`));
      const ports: StateKey[] = await knex('port_now').select('scanner_id', 'ip_key', 'last_seen');
      return {
        deliveries: await count(knex('deliveries').whereIn('change_id', knex('changes').select('id').where('detected_at', '<', cutoff)).count({ n: '*' })),
        changes: await count(knex('changes').where('detected_at', '<', cutoff).count({ n: '*' })),
        // a port goes when it was last seen before the cutoff, or with its host
        port_state: ports.filter((p) => Number(p.last_seen) < cutoff || oldHost.has(`${p.scanner_id} ${p.ip_key}`)).length,
        host_state: oldHost.size,
      };
    });
    expect(expected.changes).toBeGreaterThan(0);
    expect(expected.host_state).toBeGreaterThan(0);
    const minutes = Math.round((Date.now() - cutoff) / 60000);
    const asDuration = await cliJson<CleanupOut>(['--db', url, 'cleanup', '--older-than', `${minutes}m`, '--dry-run']);
    const deleted = await cleanupChecked(url, ['--older-than', '2025-03-07T12:00:00Z']);
    expect(asDuration.deleted).toEqual(deleted);
    expect({ deliveries: deleted.deliveries, changes: deleted.changes, port_state: deleted.port_state, host_state: deleted.host_state }).toEqual(expected);
    expect(deleted.scans).toBeGreaterThan(0);
    expect(deleted.scanners).toBe(0);
    const after = await s.snapshot();
    expect(after.changes.every((c) => Date.parse(c.detected_at) >= cutoff)).toBe(true);
    expect(after.changes.length).toBeGreaterThan(0);
    const remaining = await withDb(url, async ({ knex }) => ({
      oldPorts: await count(knex('port_now').where('last_seen', '<', cutoff).count({ n: '*' })),
      newScans: await count(knex('scans').whereRaw('coalesce(started_at, ingested_at) >= ?', [cutoff]).count({ n: '*' })),
    }));
    expect(remaining.oldPorts).toBe(0);
    expect(remaining.newScans).toBe(labFiles().filter((f) => Number(f.name.slice(5, 6)) >= 6).length);
    const { summaries } = await s.ingestArgs(['--scanner', 'scan-in', path.join(LAB, 'night2/scan-in/nmap-tcp.xml')]);
    expect(summaries[0].status).toBe('stale');
  });

  test('an unknown scanner or no selector is refused with a remedy, and nothing is deleted', async () => {
    const url = db.fresh();
    await loaded(url);
    const before = await tableCounts(url);
    const unknown = await cli(['--db', url, 'cleanup', '--scanner', 'scan-nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no scanner named 'scan-nope'[\s\S]*remedy: known scanners: scan-in, scan-out/);
    const none = await cli(['--db', url, 'cleanup', '--dry-run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/cleanup needs a selector/);
    const badIp = await cli(['--db', url, 'cleanup', '--ip', '10.66.1.0/24']);
    expect(badIp.code).toBe(2);
    expect(badIp.stderr).toMatch(/--ip: '10.66.1.0\/24' is not an IP address/);
    expect(await tableCounts(url)).toEqual(before);
  });
});
