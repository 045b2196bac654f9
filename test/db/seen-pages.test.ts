// The scanner's hosts up as an ingest loads them (db/seen-repo.ts upHostPages, read by
// delta-reporter/seen-hosts.ts): page after page of packed text, on both databases. Every host up
// comes back once with its digest exact (above 2^32 too), IPv6 beside IPv4, more hosts than a
// page holds; down hosts and other scanners' hosts do not.
import { forEachDb, withDb } from '../helpers/db';
import { ipKey } from '../../common/ip';
import { PAGE } from '../../db/rows';
import { SeenHosts } from '../../delta-reporter/seen-hosts';
import type { Db } from '../../db/connection';

interface Host { ip: string; status: 'up' | 'down'; live_seq: number | null; digest: number | null }

const V4 = PAGE * 2 + 123;
const HOSTS: Host[] = [
  ...Array.from({ length: V4 }, (_, i): Host => ({
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    status: i % 7 === 3 ? 'down' : 'up',
    live_seq: i % 5 === 0 ? null : 4,
    digest: i % 11 === 0 ? null : (2 ** 52 - 1) - i * 7919,
  })),
  ...Array.from({ length: 40 }, (_, i): Host => ({ ip: `2001:db8::${(i + 1).toString(16)}`, status: 'up', live_seq: 2, digest: 1000 + i })),
];

async function store(db: Db): Promise<number> {
  const now = Date.now();
  const ids: number[] = [];
  for (const name of ['seen', 'other']) {
    await db.knex('scanners').insert({ name, created_at: now });
    ids.push(Number((await db.knex('scanners').where({ name }).first('id')).id));
  }
  const rows = (scanner: number) => HOSTS.map((h) => ({
    scanner_id: scanner, ip_key: ipKey(h.ip), ip: h.ip, status: h.status, names_known: 0, first_seen: now, last_seen: now, miss_streak: 0,
    ever_down: 0, all_ports: 0, last_change: 0, last_scan_id: 1, change_scan_id: 1, live_seq: h.live_seq, digest: h.digest,
  }));
  // The other scanner knows the same addresses, all of them up and skippable: none may leak into the first's.
  for (const set of [rows(ids[0]), rows(ids[1]).map((r) => ({ ...r, status: 'up', live_seq: 1, digest: 7 }))]) {
    for (let i = 0; i < set.length; i += 500) await db.knex('host_state').insert(set.slice(i, i + 500));
  }
  return ids[0];
}

/** The first scanner's hosts up, loaded as an ingest loads them, inside a transaction. */
async function loaded(url: string, fn: (seen: SeenHosts) => void): Promise<void> {
  await withDb(url, async (db) => {
    const scanner = await store(db);
    await db.knex.transaction(async (trx) => fn(await SeenHosts.load(trx, db.dialect, scanner, true)));
  });
}

const UP = HOSTS.filter((h) => h.status === 'up');

forEachDb('the hosts up an ingest loads', (tdb) => {
  test('every host up once, skippable exactly when its row says so, in pages', async () => {
    await loaded(tdb.fresh(), (seen) => {
      const visits = UP.map((h) => seen.visit(ipKey(h.ip), h.digest ?? 0, 1));
      const skippable = UP.map((h) => h.live_seq !== null && h.digest !== null);
      expect(visits).toEqual(skippable.map((s) => (s ? 'skip' : 'stage')));
      expect(skippable.filter(Boolean).length).toBeGreaterThan(PAGE);
      // Down hosts and addresses never stored are new to the scan; nothing up was left unvisited.
      expect(seen.visit(ipKey(HOSTS[3].ip), 7, 1)).toBe('stage');
      expect(seen.visit(ipKey('192.0.2.1'), 7, 1)).toBe('stage');
      expect([...seen.absent()]).toEqual([]);
    });
  });

  test('the hosts up the scan did not list are the absent ones, a wrong digest is staged', async () => {
    await loaded(tdb.fresh(), (seen) => {
      for (const h of UP.filter((_, i) => i % 3 !== 0)) seen.visit(ipKey(h.ip), (h.digest ?? 0) + 1, 1);
      expect(seen.skippedHosts).toBe(0);
      expect(new Set(seen.absent())).toEqual(new Set(UP.filter((_, i) => i % 3 === 0).map((h) => ipKey(h.ip))));
    });
  });
});
