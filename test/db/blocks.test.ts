// The map of a /16 (blocksInRange): per /24, the known hosts and the distinct open ports, counted
// by the database, equal what the state's rows give, with one scanner (every row distinct) and
// with two that see the same ports.
import path from 'node:path';
import { forEachDb, withDb } from '../helpers/db';
import { cli, SCANS } from '../helpers/cli';
import { blocksInRange } from '../../db/dashboard-repo';
import { listHosts, listOpenPorts } from '../../db/query-repo';
import { ipKey, parseTargets } from '../../common/ip';

const LAB = path.join(SCANS, 'lab-a');

forEachDb('the /24 blocks of a network', (tdb) => {
  test('one scanner, then two', async () => {
    const url = tdb.fresh();
    const networks = parseTargets(['10.66.0.0/16']);
    for (const scanner of ['scan-in', 'scan-out']) {
      expect((await cli(['--db', url, 'ingest', '--scanner', scanner, path.join(LAB, 'night2', scanner, 'nmap-tcp.xml')])).code).toBe(0);
      await withDb(url, async (db) => {
        const want = new Map<string, { hosts: Set<string>; open: Set<string> }>();
        const at = (ip: string) => {
          const b = ipKey(ip).slice(0, 30);
          return want.get(b) ?? want.set(b, { hosts: new Set(), open: new Set() }).get(b)!;
        };
        for (const h of await listHosts(db.knex, { networks })) if (h.status === 'up') at(h.ip).hosts.add(h.ip);
        for (const o of await listOpenPorts(db.knex, { networks })) {
          at(o.ip).hosts.add(o.ip);
          at(o.ip).open.add(`${o.ip} ${o.proto}/${o.port}`);
        }
        const got = (await blocksInRange(db.knex, { networks })).sort((a, b) => a.block.localeCompare(b.block));
        expect(got).toEqual([...want].sort((a, b) => a[0].localeCompare(b[0])).map(([block, w]) => ({ block, hosts: w.hosts.size, open: w.open.size })));
        expect(got.reduce((n, b) => n + b.open, 0)).toBeGreaterThan(10);
      });
    }
  });
});
