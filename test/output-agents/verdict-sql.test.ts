// `changes --verdict` and the dashboard's verdict filter: the policy's verdict said in SQL (the
// policy compiled to boxes) against the same policy judging each change in code, for random
// policies over the six lab-a nights of two scanners, every verdict, every page, with filters.
import path from 'node:path';
import { forEachDb, withDb } from '../helpers/db';
import { cli, SCANS } from '../helpers/cli';
import { randomPolicy, yamlPolicy } from '../helpers/policy-oracle';
import { parsePolicy } from '../../output-agents/policy';
import { listChangesByVerdict, VERDICTS } from '../../output-agents/change-verdict';
import { ChangeType, type ChangeFilter } from '../../common/types';
import { networksOption } from '../../common/query-options';

const LAB = path.join(SCANS, 'lab-a');

forEachDb('the policy verdict in SQL', (tdb) => {
  const url = tdb.fresh();

  test('30 random policies: the same rows as judging each change in code', async () => {
    for (let n = 1; n <= 6; n++) {
      for (const scanner of ['scan-in', 'scan-out']) {
        expect((await cli(['--db', url, 'ingest', '--scanner', scanner, path.join(LAB, `night${n}`, scanner, 'nmap-tcp.xml')])).code).toBe(0);
      }
    }
    const filters: ChangeFilter[] = [
      { newestFirst: true },
      { scanner: 'scan-out' },
      { typeMask: ChangeType.port_closed, newestFirst: true },
      { networks: networksOption(['10.66.1.10-10.66.1.20'], 'network') },
    ];
    const seen = new Map<string, number>();
    await withDb(url, async (db) => {
      for (let seed = 1; seed <= 30; seed++) {
        const policy = parsePolicy(yamlPolicy(randomPolicy(seed)), `random-${seed}.yaml`);
        const inCode = { judge: policy.judge };
        for (const verdict of VERDICTS) {
          for (const f of filters) {
            const all = await listChangesByVerdict(db.knex, f, inCode, verdict);
            expect(await listChangesByVerdict(db.knex, f, policy, verdict)).toEqual(all);
            seen.set(verdict, (seen.get(verdict) ?? 0) + all.length);
            for (const offset of [0, 5, 11]) {
              expect(await listChangesByVerdict(db.knex, { ...f, offset, limit: 6 }, policy, verdict)).toEqual(all.slice(offset, offset + 6));
            }
          }
        }
      }
    });
    for (const v of VERDICTS) expect(seen.get(v)).toBeGreaterThan(20);
  });
});
