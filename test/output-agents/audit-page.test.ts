// The dashboard's audit (auditTotals and auditRows: the policy compiled to address and port boxes, counted and
// picked by the database) against the audit of every open port checked in memory, which
// test/cli/audit.test.ts holds against an independent reading of the policy. Random policies over
// the lab-a nights seen by two scanners, every page, with and without scanner and network filters.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, SCANS } from '../helpers/cli';
import { randomPolicy, yamlPolicy, type SimpleRule } from '../helpers/policy-oracle';
import { openDb, type Db } from '../../db/connection';
import { parsePolicy, type TargetPolicy } from '../../output-agents/policy';
import { audit, auditRows, auditTotals } from '../../output-agents/audit';
import { networksOption } from '../../common/query-options';

const LAB = path.join(SCANS, 'lab-a');

forEachDb('the dashboard audit agrees with the audit of every open port', (tdb) => {
  const url = tdb.fresh();
  let db: Db;

  beforeAll(async () => {
    for (const night of ['night1', 'night3', 'night5']) {
      for (const scanner of ['scan-in', 'scan-out']) {
        const r = await cli(['--db', url, 'ingest', '--scanner', scanner, path.join(LAB, night, scanner, 'nmap-tcp.xml')]);
        expect(r.code).toBe(0);
      }
    }
    db = await openDb(url, { migrate: false });
  });
  afterAll(() => db?.close());

  async function compare(policy: TargetPolicy, filter: { scanner?: string; networks?: ReturnType<typeof networksOption> }, limit: number): Promise<number> {
    const all = await audit(db.knex, policy, filter);
    const owners = new Map<string | null, number>();
    for (const v of all.violations) owners.set(v.owner, (owners.get(v.owner) ?? 0) + 1);
    for (let offset = 0; offset <= all.violations.length; offset += limit) {
      expect(await auditRows(db.knex, policy, filter, { offset, limit })).toEqual(all.violations.slice(offset, offset + limit));
    }
    const totals = await auditTotals(db.knex, policy, filter);
    expect({ total: totals.total, checked: totals.checked, uncovered: totals.uncovered }).toEqual({ total: all.violations.length, checked: all.checked, uncovered: all.uncovered });
    expect(new Map(totals.owners.map((o) => [o.owner, o.n]))).toEqual(owners);
    return all.violations.length;
  }

  test('60 random policies, every page of 7, all scanners and one', async () => {
    let violations = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const policy = parsePolicy(yamlPolicy(randomPolicy(seed)), `random-${seed}.yaml`);
      violations += await compare(policy, {}, 7);
      violations += await compare(policy, { scanner: 'scan-out' }, 7);
    }
    // the policies are not all trivially empty or trivially everything
    expect(violations).toBeGreaterThan(100);
  });

  test('network filters, a token bound to networks and an IPv6 rule give the same rows and counts', async () => {
    const rules: SimpleRule[] = [
      { network: '10.66.1.0/28', proto: 'tcp', ports: '22', action: 'allow', owner: 'net-team' },
      { network: '10.66.1.10', proto: 'tcp', ports: '8443', action: 'deny', note: 'no admin UI' },
    ];
    const policy = parsePolicy(`${yamlPolicy(rules)}\n  - {network: "fd00:66::/64", proto: tcp, ports: "22,443", action: allow, owner: v6-team}\n`, 'v6.yaml');
    expect(policy.rules).toHaveLength(3);
    await compare(policy, { networks: networksOption(['10.66.1.10-13', '10.66.1.17'], 'network') }, 3);
    await compare(policy, { scanner: 'scan-in', networks: networksOption(['10.66.1.0/29'], 'network') }, 2);
    expect(await compare(policy, {}, 5)).toBeGreaterThan(5);
  });

  test('a policy too large to say in SQL is checked in memory, with the same answer', async () => {
    // one rule per address and port: more bindings than the compiled form may carry
    const rules: SimpleRule[] = [];
    for (let host = 1; host <= 254; host++) rules.push({ network: `10.66.1.${host}`, proto: 'tcp', ports: `${host},${host + 1000}`, action: host % 3 ? 'allow' : 'deny', owner: `team-${host % 5}` });
    const policy = parsePolicy(yamlPolicy(rules), 'large.yaml');
    expect(await compare(policy, {}, 9)).toBeGreaterThan(5);
  });
});
