// A bad policy file is refused before anything else happens: exit 2, every problem with the line or
// YAML path where it stands, and a remedy. The database is not even opened.
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

const HEADER = 'network,proto,ports,action,owner,note';

const BAD: Array<[string, string, string, string[]]> = [
  ['a bad CIDR (CSV)', 'cidr.csv', `${HEADER}\n10.66.1.0/24,tcp,22,allow,,\n10.66.1.0/33,tcp,22,allow,,\n`, [
    "line 3, network: '10.66.1.0/33' is not an address, CIDR or address range",
  ]],
  ['a bad port (CSV)', 'port.csv', `${HEADER}\n10.66.1.10,tcp,"22,70000",allow,web,\n10.66.1.11,tcp,http,allow,web,\n`, [
    'line 2, ports: port range 70000-70000 is outside 0-65535',
    "line 3, ports: 'http' is not a port, a range or '-'",
  ]],
  ['an unknown action (CSV)', 'action.csv', `${HEADER}\n10.66.1.10,tcp,22,permit,,\n10.66.1.11,tcp,22,,,\n`, [
    "line 2, action: 'permit' is not allow or deny",
    'line 3, action: missing; give allow or deny',
  ]],
  ['a missing column (CSV)', 'column.csv', 'network,proto,action\n10.66.1.10,tcp,allow\n', ["line 1: missing column 'ports'"]],
  ['a YAML syntax error', 'syntax.yaml', 'rules:\n  - network: 10.66.1.10\n    proto: tcp\n   ports: 22\n', ['line 4: YAML: ']],
  ['several problems in YAML', 'many.yaml', [
    'rules:',
    '  - {network: 10.66.1.0/33, proto: tcp, ports: 22, action: allow}',
    '  - network: 10.66.1.10',
    '    proto: icmp',
    '    ports: "22,99999"',
    '    action: block',
    '  - {ip: 10.66.1.11, proto: tcp, ports: 22, action: allow, colour: red}',
    '  - {network: 10.66.1.12, proto: tcp, ports: "U:53", action: allow}',
    '',
  ].join('\n'), [
    "rules[0].network (line 2): '10.66.1.0/33' is not an address, CIDR or address range",
    "rules[1].proto (line 4): 'icmp' is not tcp, udp, sctp or any",
    'rules[1].ports (line 5): ',
    "rules[1].action (line 6): 'block' is not allow or deny",
    'rules[2].colour (line 7): unknown key',
    "rules[3].ports (line 8): 'U:53' names udp ports but the rule's proto is tcp",
  ]],
  ['a file that does not exist', 'missing.yaml', '', ['cannot read the file']],
];

describe('audit refuses a bad policy file', () => {
  test.each(BAD)('%s', async (_what, name, content, problems) => {
    const file = name === 'missing.yaml' ? path.join(scratch.dir, name) : scratch.write(name, content);
    const dbFile = path.join(scratch.dir, `${name}.sqlite`);
    const r = await cli(['--db', dbFile, 'audit', '--policy', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`portdelta: policy ${file} is invalid:`);
    expect(lines.slice(1, -1)).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(lines[i + 1].trim().startsWith(p)).toBe(true));
    expect(lines[lines.length - 1]).toMatch(/^ {2}remedy: (fix the listed rules; docs\/target-state\.md|check the path given by --policy)/);
    expect(fs.existsSync(dbFile)).toBe(false);
  });

  test('the policy named in the configuration is checked the same way', async () => {
    const config = scratch.write('portdelta.yaml', 'policy: cidr.csv\n');
    scratch.write('cidr.csv', `${HEADER}\n10.66.1.0/33,tcp,22,allow,,\n`);
    const r = await cli(['--db', path.join(scratch.dir, 'cfg.sqlite'), '--config', config, 'audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`policy ${path.join(scratch.dir, 'cidr.csv')} is invalid:\n  line 2, network: '10.66.1.0/33'`);
  });

  test('audit --help exits 0 and shows an example', async () => {
    const r = await cli(['audit', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:\n  portdelta audit --policy');
  });

  test('audit --network with garbage: exit 2 and what is expected', async () => {
    const policy = scratch.write('ok.csv', `${HEADER}\n10.66.1.0/24,tcp,22,allow,,\n`);
    const r = await cli(['--db', path.join(scratch.dir, 'net.sqlite'), 'audit', '--policy', policy, '--network', '10.0.0.0/33']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--network: '10.0.0.0/33' is not an address, CIDR or address range");
  });
});
