// The map of a /16 (blocksInRange): per /24, the known hosts and the distinct open ports equal what
// the state's rows give: with one scanner from the counts kept at ingest (whole /24s) or from the
// state (a range that cuts a /24), and with two scanners that see the same ports from the state.
import path from 'node:path';
import { forEachDb, withDb } from '../helpers/db';
import { cli, SCANS } from '../helpers/cli';
import { blocksInRange } from '../../db/dashboard-repo';
import { listHosts, listOpenPorts } from '../../db/query-repo';
import { ipKey, parseTargets } from '../../common/ip';

const LAB = path.join(SCANS, 'lab-a');

forEachDb('the /24 blocks of a network', (tdb) => {
  test('one scanner over three nights, then two; whole /24s and a range that cuts one', async () => {
    const url = tdb.fresh();
    const steps = [['night2', 'scan-in'], ['night4', 'scan-in'], ['night5', 'scan-in'], ['night5', 'scan-out']];
    for (const [night, scanner] of steps) {
      expect((await cli(['--db', url, 'ingest', '--scanner', scanner, path.join(LAB, night, scanner, 'nmap-tcp.xml')])).code).toBe(0);
      for (const networks of [parseTargets(['10.66.0.0/16']), parseTargets(['10.66.1.8/29'])]) await withDb(url, async (db) => {
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
        expect(got.reduce((n, b) => n + b.open, 0)).toBeGreaterThan(3);
      });
    }
  });
});
