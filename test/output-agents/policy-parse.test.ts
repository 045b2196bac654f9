// The policy file: YAML (a `rules:` list or the list alone) and CSV say the same thing; a bad file is
// refused as a whole with every problem and where it stands.
import fs from 'node:fs';
import path from 'node:path';
import { loadPolicy, parsePolicy, policyFormat, type PolicyRule } from '../../output-agents/policy';
import { ConfigError } from '../../common/errors';

const YAML_RULES = `# the lab's policy
rules:
  - network: 10.66.1.0/24
    proto: tcp
    ports: 22
    action: allow
    owner: net-team
    note: "ssh, everywhere"
  - {network: 10.66.1.10-20, proto: TCP, ports: "80,443,8000-8100", action: allow, owner: web-team}
  - {ip: 10.66.1.13, proto: any, ports: [25, "U:514"], action: Deny, note: relay}
  - {network: "fd00:66::/64", proto: udp, ports: any, action: allow}
  - {network: "10.66.2.0/24,10.66.3.0/24", proto: sctp, ports: "-", action: deny, owner: "", note: 7}
`;

const CSV_RULES = `# the lab's policy
network,proto,ports,action,owner,note
10.66.1.0/24,tcp,22,allow,net-team,"ssh, everywhere"
10.66.1.10-20 , TCP ,"80,443,8000-8100",allow,web-team,

# comments and blank lines are skipped
10.66.1.13,any,"25,U:514",Deny,,relay
fd00:66::/64,udp,any,allow,,
"10.66.2.0/24,10.66.3.0/24",sctp,-,deny,,7
`;

/** The rules without where they stand (which differs between the formats). */
const meaning = (rules: readonly PolicyRule[]) => rules.map(({ where: _where, ...rest }) => rest);

describe('YAML and CSV', () => {
  test('the same rules in YAML and in CSV give the same policy', () => {
    const y = parsePolicy(YAML_RULES, 'p.yaml');
    const c = parsePolicy(CSV_RULES, 'p.csv');
    expect(y.format).toBe('yaml');
    expect(c.format).toBe('csv');
    expect(y.rules).toHaveLength(5);
    expect(meaning(c.rules)).toEqual(meaning(y.rules));
    expect(y.rules[2]).toMatchObject({ network: '10.66.1.13', proto: 'any', action: 'deny', owner: null, note: 'relay', ports: {
      // Unprefixed ports go to every protocol of the rule (proto any: all three), as in nmap's -p.
      tcp: [{ lo: 25, hi: 25 }], udp: [{ lo: 25, hi: 25 }, { lo: 514, hi: 514 }], sctp: [{ lo: 25, hi: 25 }],
    } });
    expect(y.rules[4]).toMatchObject({ owner: null, note: '7', ports: { sctp: [{ lo: 1, hi: 65535 }] } });
    expect(y.rules.map((r) => r.where)).toEqual(['rules[0] (line 3)', 'rules[1] (line 9)', 'rules[2] (line 10)', 'rules[3] (line 11)', 'rules[4] (line 12)']);
    expect(c.rules.map((r) => r.where)).toEqual(['line 3', 'line 4', 'line 7', 'line 8', 'line 9']);
  });

  test('a top-level list is the same as rules:', () => {
    const list = YAML_RULES.replace('rules:\n', '').replace(/^ {2}/gm, '');
    expect(meaning(parsePolicy(list, 'list.yaml').rules)).toEqual(meaning(parsePolicy(YAML_RULES, 'p.yaml').rules));
  });

  test('ip is another name for the network column', () => {
    const c = parsePolicy(CSV_RULES.replace('network,proto', 'IP,proto'), 'p.csv');
    expect(meaning(c.rules)).toEqual(meaning(parsePolicy(CSV_RULES, 'p.csv').rules));
  });

  test.each([
    ['policy.csv', 'rules: []', 'csv'],
    ['policy.YML', 'network,proto,ports,action', 'yaml'],
    ['policy', CSV_RULES, 'csv'],
    ['policy.txt', YAML_RULES, 'yaml'],
    ['policy', '- {network: 10.0.0.1, proto: tcp, ports: 22, action: allow}', 'yaml'],
    ['policy', '\uFEFFip,proto,ports,action\n10.0.0.1,tcp,22,allow', 'csv'],
  ])('%s holding %j is read as %s', (file, text, format) => {
    expect(policyFormat(text, file)).toBe(format);
  });
});

function problems(text: string, file: string): string[] {
  try {
    parsePolicy(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toContain(`policy ${file} is invalid`);
    return (e as ConfigError).problems;
  }
  throw new Error('the policy was accepted');
}

describe('a bad policy is refused with every problem and where it stands', () => {
  test.each([
    ['an empty YAML file', '', 'p.yaml', [/expected a list of rules/]],
    ['an empty rules list', 'rules: []\n', 'p.yaml', [/^rules \(line 1\): the list of rules is empty/]],
    ['an unknown top-level key', 'rule:\n  - {}\n', 'p.yaml', [/^rule \(line 1\): unknown key/, /no 'rules:' list/]],
    ['a header only', 'network,proto,ports,action\n', 'p.csv', [/^line 1: the header has no rules/]],
    ['an empty CSV file', '\n\n', 'p.csv', [/^line 1: no header line/]],
    ['an unknown and a repeated column', 'network,proto,ports,action,colour,proto\n', 'p.csv', [/unknown column 'colour'/, /column 'proto' appears twice/]],
    ['network and ip both', 'network,ip,proto,ports,action\n', 'p.csv', [/network and ip mean the same/]],
  ])('%s', (_what, text, file, want) => {
    const got = problems(text, file);
    expect(got).toHaveLength(want.length);
    want.forEach((re, i) => expect(got[i]).toMatch(re));
  });
});

describe('the documented examples', () => {
  const ROOT = path.resolve(__dirname, '../..');

  test('docs/policy.example.yaml loads', () => {
    const p = loadPolicy(path.join(ROOT, 'docs/policy.example.yaml'));
    expect(p.rules.length).toBeGreaterThan(5);
    expect(p.check('10.66.1.10', 'tcp', 8443).reason).toBe('denied');
  });

  test('the YAML and CSV examples of docs/target-state.md are the same policy, and its table holds', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/target-state.md'), 'utf8');
    const blocks = [...doc.matchAll(/```(yaml|csv)\n([\s\S]*?)```/g)].map((m) => parsePolicy(m[2], `example.${m[1]}`));
    expect(blocks.map((b) => b.format)).toEqual(['yaml', 'csv', 'yaml']);
    expect(meaning(blocks[1].rules)).toEqual(meaning(blocks[0].rules));
    const table = [...doc.matchAll(/^\| (\S+) (\d+)\/(tcp|udp) \| (allowed|denied|no policy) \|/gm)];
    expect(table).toHaveLength(6);
    for (const [, ip, port, proto, reason] of table) expect(blocks[2].check(ip, proto as 'tcp', Number(port)).reason).toBe(reason);
  });
});
