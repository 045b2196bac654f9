// `audit` through the spawned CLI on the real lab-a scans: night by night, the violations are exactly
// the open ports of `state --json` that an independent reading of the policy does not allow.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, cliJson, SCANS } from '../helpers/cli';
import { csvText, Scratch } from '../helpers/csv-scan';
import { csvPolicy, expectation, yamlPolicy, type SimpleRule } from '../helpers/policy-oracle';
import type { StateRow } from '../../db/query-repo';

const LAB = path.join(SCANS, 'lab-a');

// lab-a is 10.66.1.0/24 (test/fixtures/scans/README.md). The /28 leaves prn01 (.16) uncovered.
const RULES: SimpleRule[] = [
  { network: '10.66.1.0/28', proto: 'tcp', ports: '22', action: 'allow', owner: 'net-team', note: 'ssh, from the jump host' },
  { network: '10.66.1.10-10.66.1.11', proto: 'tcp', ports: '80,443,8080', action: 'allow', owner: 'web-team', note: 'web servers' },
  { network: '10.66.1.10', proto: 'tcp', ports: '8443', action: 'deny', note: 'no admin UI' },
  { network: '10.66.1.12', proto: 'tcp', ports: '3306', action: 'allow', owner: 'db-team' },
  { network: '10.66.1.13', proto: 'tcp', ports: '25,143,587', action: 'allow', owner: 'mail-team', note: 'no POP3' },
  { network: '10.66.1.14', proto: 'any', ports: 'any', action: 'allow', owner: 'files-team' },
  { network: '10.66.1.14', proto: 'tcp', ports: '139,445', action: 'deny', note: 'SMB must not be open' },
  { network: '10.66.1.15', proto: 'tcp', ports: '3000-3999', action: 'allow', owner: 'dev-team' },
  { network: '10.66.1.17', proto: 'tcp', ports: 'any', action: 'deny', owner: 'app-team', note: 'app03 must stay dark' },
  { network: '10.66.1.53', proto: 'any', ports: '53', action: 'allow', owner: 'dns-team' },
  { network: '10.66.1.128/25', proto: 'tcp', ports: '443', action: 'allow', owner: 'dmz' },
];

interface AuditRow {
  ip: string;
  proto: string;
  port: number;
  hostname: string | null;
  scanners: string[];
  owner: string | null;
  note: string | null;
  reason: string;
  rule: string | null;
}

/** From `state --json`: one row per open (ip, proto, port), its scanners, and what the oracle says. */
function expected(state: StateRow[]): { violations: Omit<AuditRow, 'rule'>[]; rules: Array<number | null>; uncovered: number } {
  const groups = new Map<string, Omit<AuditRow, 'owner' | 'note' | 'reason' | 'rule'>>();
  for (const s of [...state].sort((a, b) => a.scanner.localeCompare(b.scanner))) {
    const key = `${s.ip} ${s.port}/${s.proto}`;
    const g = groups.get(key) ?? { ip: s.ip, proto: s.proto, port: s.port, hostname: null, scanners: [] };
    g.scanners.push(s.scanner);
    g.hostname ??= s.hostname;
    groups.set(key, g);
  }
  const out = { violations: [] as Omit<AuditRow, 'rule'>[], rules: [] as Array<number | null>, uncovered: 0 };
  for (const g of [...groups.values()].sort(byPort)) {
    const e = expectation(RULES, g.ip, g.proto, g.port);
    if (e.reason === 'no policy') out.uncovered++;
    else if (e.reason !== 'allowed') {
      out.violations.push({ ...g, owner: e.owner, note: e.note, reason: e.reason });
      out.rules.push(e.rule);
    }
  }
  return out;
}

const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const byPort = (a: { ip: string; proto: string; port: number }, b: { ip: string; proto: string; port: number }) =>
  ipNum(a.ip) - ipNum(b.ip) || a.proto.localeCompare(b.proto) || a.port - b.port;
const keys = (rows: AuditRow[]) => rows.map((r) => `${r.ip} ${r.port}/${r.proto} ${r.reason}`);
const withoutRule = (rows: AuditRow[]) => rows.map(({ rule: _rule, ...rest }) => rest);

let scratch: Scratch;
let yamlFile: string;
let csvFile: string;
beforeAll(() => {
  scratch = new Scratch();
  yamlFile = scratch.write('policy.yaml', yamlPolicy(RULES));
  csvFile = scratch.write('policy.csv', csvPolicy(RULES));
});
afterAll(() => scratch.remove());

forEachDb('audit on the lab-a nights', (tdb) => {
  const db = tdb.fresh();
  const run = (args: string[]) => cli(['--db', db, ...args]);
  const json = <T>(args: string[]) => cliJson<T>(['--db', db, ...args]);
  const history: AuditRow[][] = [];

  test('after each night, audit lists exactly the open ports of state that the policy does not allow', async () => {
    for (let n = 1; n <= 6; n++) {
      for (const scanner of ['scan-in', 'scan-out']) {
        const r = await run(['ingest', '--scanner', scanner, path.join(LAB, `night${n}`, scanner, 'nmap-tcp.xml')]);
        expect(r.code).toBe(0);
      }
      const want = expected(await json<StateRow[]>(['state']));
      const got = await json<AuditRow[]>(['audit', '--policy', yamlFile]);
      expect(withoutRule(got)).toEqual(want.violations);
      expect(got.map((v) => (v.rule ? Number(/^rules\[(\d+)\] \(line \d+\)$/.exec(v.rule)![1]) : null))).toEqual(want.rules);
      history.push(got);
    }
    // Night 2 opened web01's 8443 (denied); night 3 closed mail01's 110 (not allowed), night 5 reopened it.
    expect(keys(history[0])).not.toContain('10.66.1.10 8443/tcp denied');
    expect(keys(history[1])).toContain('10.66.1.10 8443/tcp denied');
    expect(keys(history[1])).toContain('10.66.1.13 110/tcp not allowed');
    expect(keys(history[2])).not.toContain('10.66.1.13 110/tcp not allowed');
    expect(keys(history[4])).toContain('10.66.1.13 110/tcp not allowed');
    // app03 (night 3 to 5) is denied on every port, and it is gone on night 6.
    expect(keys(history[2]).filter((k) => k.startsWith('10.66.1.17 '))).toHaveLength(3);
    expect(keys(history[5]).filter((k) => k.startsWith('10.66.1.17 '))).toHaveLength(0);
  });

  test('a CSV and a YAML policy with the same rules give the same audit', async () => {
    const fromYaml = await json<AuditRow[]>(['audit', '--policy', yamlFile]);
    const fromCsv = await json<AuditRow[]>(['audit', '--policy', csvFile]);
    expect(fromYaml.length).toBeGreaterThan(5);
    expect(withoutRule(fromCsv)).toEqual(withoutRule(fromYaml));
    // CSV rules stand on line index + 2 (after the header line).
    expect(fromCsv.map((v) => v.rule && `rule ${Number(/^line (\d+)$/.exec(v.rule)![1]) - 2}`)).toEqual(
      fromYaml.map((v) => v.rule && `rule ${/^rules\[(\d+)\]/.exec(v.rule)![1]}`),
    );
  });

  test('the table shows each violation with its rule, owner and note, then counts the uncovered ports', async () => {
    const want = expected(await json<StateRow[]>(['state']));
    expect(want.uncovered).toBeGreaterThan(0);
    const r = await run(['audit', '--policy', yamlFile]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IP +PORT +HOSTNAME +SCANNERS +REASON +RULE +OWNER +NOTE$/);
    expect(lines.slice(1, -1)).toHaveLength(want.violations.length);
    want.violations.forEach((v, i) => {
      const cells = [v.ip, `${v.port}/${v.proto}`, v.hostname ?? '', v.scanners.join(','), v.reason, v.owner ?? '', v.note ?? ''];
      for (const c of cells) expect(lines[i + 1]).toContain(c);
    });
    expect(lines[lines.length - 1]).toBe(`${want.uncovered} open ports are on addresses no policy rule covers`);
  });

  test('--scanner and --network narrow the audit as they narrow state', async () => {
    const filters = ['--scanner', 'scan-out', '--network', '10.66.1.10-13', '--network', '10.66.1.17'];
    const want = expected(await json<StateRow[]>(['state', ...filters]));
    const got = await json<AuditRow[]>(['audit', '--policy', yamlFile, ...filters]);
    expect(got.length).toBeGreaterThan(0);
    expect(withoutRule(got)).toEqual(want.violations);
    expect(got.every((v) => v.scanners.join() === 'scan-out')).toBe(true);
  });

  test('--exit-code exits 1 when a port breaks the policy and 0 when none does', async () => {
    expect((await run(['audit', '--policy', yamlFile, '--exit-code'])).code).toBe(1);
    const open = scratch.write('open.yaml', yamlPolicy([{ network: '10.66.1.0/24', proto: 'any', ports: 'any', action: 'allow' }]));
    const r = await run(['audit', '--policy', open, '--exit-code']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no open port breaks the policy \(\d+ open ports checked against .*open\.yaml\)\n$/);
  });

  test("the configuration's policy key is the default, relative to the configuration file; --policy wins", async () => {
    const config = scratch.write('portdelta.yaml', 'policy: policy.csv\n');
    const viaConfig = await json<AuditRow[]>(['--config', config, 'audit']);
    expect(viaConfig).toEqual(await json<AuditRow[]>(['audit', '--policy', csvFile]));
    const open = scratch.write('allow-all.csv', csvPolicy([{ network: '0.0.0.0/0', proto: 'any', ports: 'any', action: 'allow' }]));
    expect(await json<AuditRow[]>(['--config', config, 'audit', '--policy', open])).toEqual([]);
  });

  test('without any policy, audit refuses with exit 2 and says what to do', async () => {
    const r = await run(['audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/audit needs a target-state policy file\n {2}remedy: give --policy FILE or set `policy:`/);
  });
});

forEachDb('audit prints what the network sent safely', (tdb) => {
  test('a hostile hostname is escaped in the table and intact in JSON', async () => {
    const db = tdb.fresh();
    const name = 'evil\u001b[2J\u0007.example\u001b]0;owned\u009b';
    const scan = scratch.write('evil.csv', csvText({ started: '2025-03-09T02:00:00Z', scope: '10.66.1.200', ports: 'tcp:1-65535', rows: [`10.66.1.200,tcp,4444,open,"${name}",`] }));
    expect((await cli(['--db', db, 'ingest', '--scanner', 'evil', scan])).code).toBe(0);
    const text = await cli(['--db', db, 'audit', '--policy', yamlFile]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('10.66.1.200  4444/tcp  evil\\x1b[2J\\x07.example\\x1b]0;owned\\x9b');
    // eslint-disable-next-line no-control-regex
    expect(text.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const rows = await cliJson<AuditRow[]>(['--db', db, 'audit', '--policy', yamlFile]);
    expect(rows).toEqual([{ ip: '10.66.1.200', proto: 'tcp', port: 4444, hostname: name, scanners: ['evil'], owner: 'dmz', note: null, reason: 'not allowed', rule: null }]);
  });
});

forEachDb('audit over more open ports than one page', (tdb) => {
  test('two overlapping scanners with 6,000 open ports each: every port once, with both scanners where both see it', async () => {
    const db = tdb.fresh();
    const rows = (from: number, to: number, lo: number, hi: number) =>
      Array.from({ length: to - from + 1 }, (_, h) => Array.from({ length: hi - lo + 1 }, (_, p) => `10.77.0.${from + h},tcp,${lo + p},open,,`)).flat();
    const scan = (name: string, r: string[]) => scratch.write(name, csvText({ started: '2025-04-01T02:00:00Z', scope: '10.77.0.0/24', ports: 'tcp:1-1024', rows: r }));
    for (const [scanner, file] of [['sensor-a', scan('a.csv', rows(1, 60, 1, 100))], ['sensor-b', scan('b.csv', rows(31, 90, 51, 150))]]) {
      expect((await cli(['--db', db, 'ingest', '--scanner', scanner, file])).code).toBe(0);
    }
    const rules: SimpleRule[] = [
      { network: '10.77.0.0/24', proto: 'tcp', ports: '1-75', action: 'allow', owner: 'lab' },
      { network: '10.77.0.0/26', proto: 'tcp', ports: '60-65', action: 'deny', owner: 'lab-low' },
    ];
    const policy = scratch.write('big.yaml', yamlPolicy(rules));
    const state = await cliJson<StateRow[]>(['--db', db, 'state']);
    expect(state).toHaveLength(12000);
    const got = await cliJson<AuditRow[]>(['--db', db, 'audit', '--policy', policy]);
    const seen = new Map<string, { ip: string; port: number; scanners: string[] }>();
    for (const s of state) {
      const key = `${s.ip} ${s.port}`;
      const g = seen.get(key) ?? { ip: s.ip, port: s.port, scanners: [] };
      g.scanners = [...g.scanners, s.scanner].sort();
      seen.set(key, g);
    }
    const want = [...seen.values()]
      .map((g) => ({ ...g, reason: expectation(rules, g.ip, 'tcp', g.port).reason }))
      .filter((g) => g.reason !== 'allowed')
      .sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || a.port - b.port);
    expect(want.length).toBeGreaterThan(5000);
    expect(want.some((w) => w.scanners.length === 2)).toBe(true);
    expect(got.map((v) => ({ ip: v.ip, port: v.port, scanners: v.scanners, reason: v.reason }))).toEqual(want);
  });
});
