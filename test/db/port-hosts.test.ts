// The Port page's read (portHostsPage): for every open port of the lab-a nights seen by two
// scanners, the count of hosts and the pages of hosts equal a grouping of `state --json`, whether
// the count comes from the counts kept at ingest (one scanner sees the port) or from the state.
import path from 'node:path';
import { forEachDb, withDb } from '../helpers/db';
import { cli, cliJson, SCANS } from '../helpers/cli';
import { portHostsPage } from '../../db/dashboard-repo';
import { networksOption } from '../../common/query-options';
import type { StateRow } from '../../db/query-repo';
import type { Proto } from '../../common/types';

const LAB = path.join(SCANS, 'lab-a');
const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

forEachDb('the hosts of one port, a page at a time', (tdb) => {
  const url = tdb.fresh();

  test('every port, every page of 2, all scanners, one scanner and one network', async () => {
    for (const night of ['night2', 'night4']) {
      for (const scanner of ['scan-in', 'scan-out']) {
        expect((await cli(['--db', url, 'ingest', '--scanner', scanner, path.join(LAB, night, scanner, 'nmap-tcp.xml')])).code).toBe(0);
      }
    }
    const scopes: Array<{ scanner?: string; network?: string }> = [{}, { scanner: 'scan-in' }, { scanner: 'scan-out' }, { network: '10.66.1.10-10.66.1.15' }];
    let shared = 0;
    await withDb(url, async (db) => {
      for (const scope of scopes) {
        const state = await cliJson<StateRow[]>(['--db', url, 'state', ...(scope.scanner ? ['--scanner', scope.scanner] : []), ...(scope.network ? ['--network', scope.network] : [])]);
        const byPort = new Map<string, Set<string>>();
        for (const r of state) (byPort.get(`${r.proto}/${r.port}`) ?? byPort.set(`${r.proto}/${r.port}`, new Set()).get(`${r.proto}/${r.port}`)!).add(r.ip);
        expect(byPort.size).toBeGreaterThan(3);
        for (const [key, ips] of byPort) {
          const [proto, port] = key.split('/');
          const want = [...ips].sort((a, b) => ipNum(a) - ipNum(b));
          if (!scope.scanner && state.filter((r) => `${r.proto}/${r.port}` === key).length > ips.size) shared++;
          const f = { proto: proto as Proto, port: Number(port), scanner: scope.scanner, networks: scope.network ? networksOption([scope.network], 'network') : undefined };
          const got: string[] = [];
          for (let offset = 0; offset < want.length + 2; offset += 2) {
            const page = await portHostsPage(db.knex, f, offset, 2);
            expect(page.hosts).toBe(want.length);
            got.push(...new Set(page.rows.map((r) => r.ip)));
          }
          expect(got).toEqual(want);
        }
      }
    });
    // some port is open on a host both scanners see: the count must not take the kept counts' sum
    expect(shared).toBeGreaterThan(0);
  });
});
