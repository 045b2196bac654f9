// host_now and port_now (migration 011) derive what a host row no longer stores once the scans that
// saw it unchanged stop writing it: rows put in by hand for a scanner at its 10th scan (scan 110)
// — a host frozen since scan 104 (a scan missed it), one the newest scan wrote, one the last two
// scans skipped — show every column as the old layout stored it; the readers on the views answer
// from those values (state and hosts, --at, cleanup's age, the hosts an inventory write-back
// gets); and migrating down writes them into the rows.
import type { Knex } from 'knex';
import { forEachDb, withDb } from '../helpers/db';
import { cliJson } from '../helpers/cli';
import { ipKey } from '../../common/ip';
import { listHosts, listOpenPorts } from '../../db/query-repo';
import { listOpenPortsAt } from '../../db/past-state-repo';
import { hostsSeenInScans } from '../../db/host-seen-repo';

const DAY = 86_400_000;
/** Scan n's time: one a day. */
const T = (n: number) => Date.UTC(2025, 2, 1) + (n - 100) * DAY;
const iso = (ms: number) => new Date(ms).toISOString();

const SCANNER = { id: 1, name: 'scan-a', group_name: null, created_at: T(100), seen_seq: 10, seen_scan_id: 110, seen_at: T(110) };

type HostCase = { ip: string; status: 'up' | 'down'; miss_streak: number; live_seq: number | null; seen: number; last_change: number };
const HOSTS: Record<'frozen' | 'newest' | 'skipped', HostCase> = {
  frozen: { ip: '10.0.0.1', status: 'up', miss_streak: 2, live_seq: null, seen: 104, last_change: 1 },
  newest: { ip: '10.0.0.2', status: 'up', miss_streak: 0, live_seq: 10, seen: 110, last_change: 2 },
  skipped: { ip: '10.0.0.3', status: 'up', miss_streak: 0, live_seq: 8, seen: 108, last_change: 4 },
};

const hostRow = (h: HostCase) => ({
  scanner_id: 1, ip_key: ipKey(h.ip), ip: h.ip, status: h.status, hostname: null, names_known: 1, mac: null, first_seen: T(101),
  last_seen: T(h.seen), miss_streak: h.miss_streak, ever_down: 0, all_ports: 0, last_change: h.last_change,
  last_scan_id: h.seen, change_scan_id: h.seen, live_seq: h.live_seq, digest: h.live_seq === null ? null : 42,
});

const portRow = (ip: string, port: number, reported: 'open' | 'closed', streak: number, seen: number, last_change: number) => ({
  scanner_id: 1, ip_key: ipKey(ip), ip, proto: 'tcp', port, reported, open_streak: streak, miss_streak: 0, service: null,
  first_seen: T(101), last_seen: T(seen), last_change, last_scan_id: seen,
});

const PORTS = [
  portRow('10.0.0.1', 22, 'open', 3, 104, 0), // the frozen host's, written with it
  portRow('10.0.0.2', 80, 'open', 1, 110, 2), // new in the newest scan
  portRow('10.0.0.3', 22, 'open', 5, 108, 2), // the skipped host's, written with it: two more scans saw it open
  portRow('10.0.0.3', 25, 'closed', 0, 105, 8), // closed since scan 105
  portRow('10.0.0.3', 53, 'open', 2, 106, 0), // open, but not seen by the scan that last wrote its host (out of its scope)
];

/** What the old layout would store now, per host and port (scanner_id, ip, port, and the derived columns). */
const HOST_NOW = [
  { ip: '10.0.0.1', last_seen: T(104), last_scan_id: 104, last_change: 1, change_scan_id: 104 },
  { ip: '10.0.0.2', last_seen: T(110), last_scan_id: 110, last_change: 2, change_scan_id: 110 },
  { ip: '10.0.0.3', last_seen: T(110), last_scan_id: 110, last_change: 0, change_scan_id: 110 },
];
const PORT_NOW = [
  { ip: '10.0.0.1', port: 22, open_streak: 3, last_seen: T(104), last_change: 0, last_scan_id: 104 },
  { ip: '10.0.0.2', port: 80, open_streak: 1, last_seen: T(110), last_change: 2, last_scan_id: 110 },
  { ip: '10.0.0.3', port: 22, open_streak: 7, last_seen: T(110), last_change: 0, last_scan_id: 110 },
  { ip: '10.0.0.3', port: 25, open_streak: 0, last_seen: T(105), last_change: 8, last_scan_id: 105 },
  { ip: '10.0.0.3', port: 53, open_streak: 2, last_seen: T(106), last_change: 0, last_scan_id: 106 },
];

const scanRow = (n: number) => ({
  id: n, scanner_id: 1, source: `night${n}.xml`, format: 'nmap-xml', sha256: String(n).padStart(64, '0'), started_at: T(n), finished_at: T(n) + 60_000, complete: 1, status: 'applied',
  resolves_names: 0, hosts_up: 3, ports_open: 4, change_count: 0, warnings: '[]', ingested_at: T(n) + 120_000,
});

async function fill(knex: Knex): Promise<void> {
  await knex('scanners').insert(SCANNER);
  for (let n = 104; n <= 110; n++) await knex('scans').insert(scanRow(n));
  await knex('host_state').insert(Object.values(HOSTS).map(hostRow));
  await knex('port_state').insert(PORTS);
}

const num = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'ip' ? v : Number(v)]));

async function derived(knex: Knex, from: { hosts: string; ports: string }) {
  return {
    hosts: (await knex(from.hosts).select('ip', 'last_seen', 'last_scan_id', 'last_change', 'change_scan_id').orderBy('ip_key')).map(num),
    ports: (await knex(from.ports).select('ip', 'port', 'open_streak', 'last_seen', 'last_change', 'last_scan_id').orderBy(['ip_key', 'port'])).map(num),
  };
}

forEachDb('host_now and port_now', (db) => {
  const url = db.fresh();

  beforeAll(async () => {
    await withDb(url, ({ knex }) => fill(knex));
  });

  test('derive every column as the old layout stored it; the other columns are the rows\'', async () => {
    await withDb(url, async ({ knex }) => {
      expect(await derived(knex, { hosts: 'host_now', ports: 'port_now' })).toEqual({ hosts: HOST_NOW, ports: PORT_NOW });
      const same = ['scanner_id', 'ip_key', 'ip', 'status', 'hostname', 'names_known', 'mac', 'first_seen', 'miss_streak', 'ever_down', 'all_ports'];
      expect(await knex('host_now').select(same).orderBy('ip_key')).toEqual(await knex('host_state').select(same).orderBy('ip_key'));
      const samePorts = ['scanner_id', 'ip_key', 'ip', 'proto', 'port', 'reported', 'miss_streak', 'service', 'first_seen'];
      expect(await knex('port_now').select(samePorts).orderBy(['ip_key', 'port'])).toEqual(await knex('port_state').select(samePorts).orderBy(['ip_key', 'port']));
    });
  });

  test('state and hosts answer from the derived values, now and --at', async () => {
    await withDb(url, async ({ knex }) => {
      const state = (await listOpenPorts(knex, {})).map((r) => [r.ip, r.port, r.last_seen, r.last_change]);
      expect(state).toEqual(PORT_NOW.filter((p) => p.port !== 25).map((p) => [p.ip, p.port, iso(p.last_seen), p.last_change]));
      const hosts = (await listHosts(knex, {})).map((r) => [r.ip, r.open_ports, r.last_seen, r.last_change]);
      expect(hosts).toEqual([['10.0.0.1', 1, iso(T(104)), 1], ['10.0.0.2', 1, iso(T(110)), 2], ['10.0.0.3', 2, iso(T(110)), 0]]);
      // after the newest scan, the past is the present; between 108 and 110 it is not
      const at = async (t: number) => (await listOpenPortsAt(knex, t, {})).map((r) => [r.ip, r.port, r.last_seen]);
      expect(await at(T(110) + 3_600_000)).toEqual(state.map(([ip, port, seen]) => [ip, port, seen]));
    });
  });

  test('the hosts an inventory write-back gets for a scan are those it saw, skipped or written', async () => {
    await withDb(url, async ({ knex }) => {
      const seen = async (ids: number[]) => (await hostsSeenInScans(knex, ids)).map((h) => [h.ip, iso(h.lastSeenMs)]);
      expect(await seen([110])).toEqual([['10.0.0.2', iso(T(110))], ['10.0.0.3', iso(T(110))]]);
      expect(await seen([108])).toEqual([]);
      expect(await seen([104, 105])).toEqual([['10.0.0.1', iso(T(104))]]);
    });
  });

  test('cleanup --older-than judges rows by the derived last sighting', async () => {
    const counts = await cliJson<{ deleted: Record<string, number> }>(['--db', url, 'cleanup', '--older-than', iso(T(109)), '--dry-run']);
    // the frozen host and its port; the skipped host's closed port (105) and its port out of scope (106);
    // scans 104-108, which nothing refers to any more: 108 only as the skipped host's stored ids (110: the newest)
    expect(counts.deleted).toMatchObject({ host_state: 1, port_state: 3, scans: 5 });
  });

  test('down to 010 writes the derived values into the rows', async () => {
    await withDb(url, async ({ knex }) => {
      await knex.migrate.down();
      expect(await knex.schema.hasColumn('host_state', 'live_seq')).toBe(false);
      expect(await derived(knex, { hosts: 'host_state', ports: 'port_state' })).toEqual({ hosts: HOST_NOW, ports: PORT_NOW });
    });
  });
});
