// Which rule decides (docs/target-state.md): the smallest network, then the fewest ports ('any' =
// all), then a named proto before 'any', then deny before allow, then the earlier rule. Covered
// addresses without a rule for the port are not allowed; uncovered addresses have no policy.
import { parsePolicy, type TargetPolicy } from '../../output-agents/policy';
import { ChangeType as T } from '../../common/types';
import type { Proto } from '../../common/types';

const POLICY = `
rules:
  - {network: 10.0.0.0/8, proto: any, ports: any, action: deny, owner: noc, note: default deny}      # 0
  - {network: 10.1.0.0/16, proto: tcp, ports: 22, action: allow, owner: ops, note: ssh}             # 1
  - {network: 10.1.2.0/24, proto: tcp, ports: "80,443", action: allow, owner: web}                 # 2
  - {network: 10.1.2.0/24, proto: tcp, ports: 443, action: deny, note: tls terminates elsewhere}    # 3
  - {network: 10.1.2.7, proto: tcp, ports: any, action: allow, owner: lab, note: lab box}           # 4
  - {network: 10.1.2.7, proto: tcp, ports: 23, action: deny}                                        # 5
  - {network: 10.1.3.0/24, proto: tcp, ports: 8080, action: allow, owner: a}                        # 6
  - {network: 10.1.3.0/24, proto: tcp, ports: 8080, action: deny, owner: b}                         # 7
  - {network: 10.1.4.0/24, proto: any, ports: 53, action: allow, owner: dns}                        # 8
  - {network: 10.1.4.0/24, proto: udp, ports: 53, action: deny, owner: dns-udp}                     # 9
  - {network: 10.1.5.10-10.1.5.20, proto: tcp, ports: 3306, action: allow, owner: db}               # 10
  - {network: 10.1.5.0/24, proto: tcp, ports: 3306, action: deny, owner: db-net}                    # 11
  - {network: "fd00:1::/64", proto: tcp, ports: [22, 443], action: allow, owner: v6}                # 12
  - {network: "fd00:1::1", proto: tcp, ports: 443, action: deny}                                    # 13
  - {network: 172.16.0.0/12, proto: tcp, ports: 22, action: allow, owner: corp, note: jump hosts}   # 14
  - {ip: 192.0.2.0/24, proto: any, ports: "T:22,U:161", action: allow, owner: mgmt}                 # 15
  - {network: "10.1.6.0/24, 10.1.8.0/24", proto: sctp, ports: 1-100, action: allow, owner: multi}  # 16
  - {network: 10.1.6.0/24, proto: tcp, ports: 1-100, action: allow, owner: first}                   # 17
  - {network: 10.1.6.0/24, proto: tcp, ports: 50-149, action: allow, owner: second}                 # 18
`;

let policy: TargetPolicy;
beforeAll(() => (policy = parsePolicy(POLICY, 'match.yaml')));

type Row = [string, Proto, number, string, number | null, string | null, string | null];
// ip, proto, port → reason, deciding rule (index), owner, note
const CASES: Row[] = [
  ['10.9.9.9', 'tcp', 22, 'denied', 0, 'noc', 'default deny'],
  ['10.1.9.9', 'tcp', 22, 'allowed', 1, 'ops', 'ssh'],
  ['10.1.9.9', 'tcp', 80, 'denied', 0, 'noc', 'default deny'], // /16 names no 80: the /8 decides
  ['10.1.2.5', 'tcp', 80, 'allowed', 2, 'web', null],
  ['10.1.2.5', 'tcp', 443, 'denied', 3, 'web', 'tls terminates elsewhere'], // one port beats two; owner from the /24
  ['10.1.2.5', 'tcp', 22, 'allowed', 1, 'ops', 'ssh'],
  ['10.1.2.5', 'udp', 161, 'denied', 0, 'noc', 'default deny'],
  ['10.1.2.7', 'tcp', 8000, 'allowed', 4, 'lab', 'lab box'], // /32 beats /24 and /16
  ['10.1.2.7', 'tcp', 23, 'denied', 5, 'lab', null], // a port list beats any at the same /32
  ['10.1.2.7', 'tcp', 443, 'allowed', 4, 'lab', 'lab box'],
  ['::ffff:10.1.2.7', 'tcp', 23, 'denied', 5, 'lab', null],
  ['10.1.2.7', 'udp', 23, 'denied', 0, 'noc', 'default deny'],
  ['10.1.3.1', 'tcp', 8080, 'denied', 7, 'b', null], // equal specificity: deny wins
  ['10.1.4.1', 'tcp', 53, 'allowed', 8, 'dns', null],
  ['10.1.4.1', 'udp', 53, 'denied', 9, 'dns-udp', null], // a named proto beats any
  ['10.1.4.1', 'sctp', 53, 'allowed', 8, 'dns', null],
  ['10.1.5.15', 'tcp', 3306, 'allowed', 10, 'db', null], // 11 addresses beat 256
  ['10.1.5.25', 'tcp', 3306, 'denied', 11, 'db-net', null],
  ['10.1.5.20', 'tcp', 3306, 'allowed', 10, 'db', null],
  ['10.1.5.21', 'tcp', 3306, 'denied', 11, 'db-net', null],
  ['fd00:1::5', 'tcp', 22, 'allowed', 12, 'v6', null],
  ['FD00:1:0:0::5', 'tcp', 443, 'allowed', 12, 'v6', null],
  ['fd00:1::1', 'tcp', 443, 'denied', 13, 'v6', null],
  ['fd00:1::1', 'tcp', 22, 'allowed', 12, 'v6', null],
  ['fd00:1::1', 'tcp', 80, 'not allowed', null, 'v6', null], // no rule names the port: no note
  ['fd00:2::1', 'tcp', 22, 'no policy', null, null, null],
  ['172.16.5.5', 'tcp', 22, 'allowed', 14, 'corp', 'jump hosts'],
  ['172.16.5.5', 'tcp', 80, 'not allowed', null, 'corp', null], // rule 14's note is about port 22 only
  ['172.32.0.1', 'tcp', 22, 'no policy', null, null, null],
  ['192.0.2.9', 'tcp', 22, 'allowed', 15, 'mgmt', null],
  ['192.0.2.9', 'udp', 161, 'allowed', 15, 'mgmt', null],
  ['192.0.2.9', 'udp', 22, 'not allowed', null, 'mgmt', null],
  ['192.0.2.9', 'tcp', 161, 'not allowed', null, 'mgmt', null],
  ['192.168.1.1', 'tcp', 22, 'no policy', null, null, null],
  ['10.1.8.200', 'sctp', 100, 'allowed', 16, 'multi', null], // a rule with two networks: either holds
  ['10.1.7.1', 'sctp', 100, 'denied', 0, 'noc', 'default deny'],
  ['10.1.6.1', 'tcp', 75, 'allowed', 17, 'first', null], // same size, same port count, both allow: the earlier rule
  ['10.1.6.1', 'tcp', 120, 'allowed', 18, 'second', null],
];

describe('the most specific rule decides an open port', () => {
  test.each(CASES)('%s %s/%s is %s (rule %s, owner %s, note %s)', (ip, proto, port, reason, rule, owner, note) => {
    const d = policy.check(ip, proto, port);
    expect({ reason: d.reason, rule: d.rule?.index ?? null, owner: d.owner, note: d.note }).toEqual({ reason, rule, owner, note });
    expect(d.covered).toBe(reason !== 'no policy');
    expect(d.allowed).toBe(reason === 'allowed');
  });
});

type JudgeRow = [string, string, number, Proto | null, number | null, boolean | null, string | null];
// what, ip, type, proto, port → expected, owner
const JUDGE: JudgeRow[] = [
  ['new_port on an allowed port', '10.1.9.9', T.new_port, 'tcp', 22, true, 'ops'],
  ['new_port on a denied port', '10.1.9.9', T.new_port, 'tcp', 80, false, 'noc'],
  ['new_port on a port no rule names', '172.16.5.5', T.new_port, 'tcp', 80, false, 'corp'],
  ['port_reopened on an allowed port', '10.1.2.7', T.port_reopened, 'tcp', 8000, true, 'lab'],
  ['new_host+new_port on a denied port', '10.1.2.7', T.new_host | T.new_port, 'tcp', 23, false, 'lab'],
  ['new_host+port_reopened on an allowed port', '10.1.4.1', T.new_host | T.port_reopened, 'tcp', 53, true, 'dns'],
  ['port_closed on an allowed port', '10.1.9.9', T.port_closed, 'tcp', 22, false, 'ops'],
  ['port_closed on a denied port', '10.1.3.1', T.port_closed, 'tcp', 8080, true, 'b'],
  ['host_down+port_closed on a port no rule names', '172.16.5.5', T.host_down | T.port_closed, 'tcp', 80, true, 'corp'],
  ['new_port outside every network', '192.168.1.1', T.new_port, 'tcp', 22, null, null],
  ['port_closed outside every network', 'fd00:2::1', T.port_closed, 'tcp', 22, null, null],
  ['new_host', '10.1.2.7', T.new_host, null, null, null, 'lab'],
  ['host_down', '10.1.2.5', T.host_down, null, null, null, 'web'],
  ['dns_changed', '10.1.3.1', T.dns_changed, null, null, null, 'a'],
  ['all_ports_answer', 'fd00:1::1', T.all_ports_answer, null, null, null, 'v6'],
  ['new_host outside every network', '192.168.1.1', T.new_host, null, null, null, null],
];

describe('judge: opening changes are expected when allowed, closing ones when not, host events are not judged', () => {
  test.each(JUDGE)('%s', (_what, ip, type, proto, port, expected, owner) => {
    const v = policy.judge({ ip, proto, port, type });
    expect(v.expected).toBe(expected);
    expect(v.owner).toBe(owner);
  });

  test('a host event carries the owner of the rule holding the address but no note: no rule decided it', () => {
    expect(policy.judge({ ip: '172.16.0.9', proto: null, port: null, type: T.new_host })).toEqual({ expected: null, owner: 'corp', note: null });
  });

  test('a port event carries only the note of the rule that decided it', () => {
    expect(policy.judge({ ip: '172.16.5.5', proto: 'tcp', port: 22, type: T.new_port })).toEqual({ expected: true, owner: 'corp', note: 'jump hosts' });
    expect(policy.judge({ ip: '172.16.5.5', proto: 'tcp', port: 80, type: T.new_port })).toEqual({ expected: false, owner: 'corp', note: null });
    expect(policy.judge({ ip: '10.1.2.9', proto: 'tcp', port: 443, type: T.new_port }).note).toBe('tls terminates elsewhere');
  });
});

describe('the precomputed index agrees with a plain walk over every rule', () => {
  // Deterministic pseudo-random rules over a small space, so ranges nest and overlap a lot.
  let x = 0x1234567;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const PROTOS: Array<Proto | 'any'> = ['tcp', 'udp', 'any'];
  const rules = Array.from({ length: 400 }, (_, i) => {
    const bits = 16 + rnd(17);
    const a = `10.${rnd(4)}.${rnd(256)}.${rnd(256)}`;
    const network = rnd(5) === 0 ? `${a}-${a.split('.').slice(0, 3).join('.')}.255` : `${a}/${bits}`;
    const lo = 1 + rnd(100);
    const ports = rnd(4) === 0 ? 'any' : `${lo}-${lo + rnd(50)}`;
    return { i, network, proto: PROTOS[rnd(3)], ports, action: rnd(2) ? 'allow' : 'deny' };
  });
  const text = `rules:\n${rules.map((r) => `  - {network: "${r.network}", proto: ${r.proto}, ports: "${r.ports}", action: ${r.action}, owner: o${r.i}}`).join('\n')}\n`;

  test('on 3000 probes', () => {
    const p = parsePolicy(text, 'random.yaml');
    const num = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const span = (net: string): [number, number] => {
      if (net.includes('-')) {
        const [a, b] = net.split('-');
        return [num(a), num(b)];
      }
      const [a, bits] = net.split('/');
      const size = 2 ** (32 - Number(bits));
      const lo = Math.floor(num(a) / size) * size;
      return [lo, lo + size - 1];
    };
    const spans = p.rules.map((r) => span(r.network));
    for (let k = 0; k < 3000; k++) {
      const ip = `10.${rnd(4)}.${rnd(256)}.${rnd(256)}`;
      const proto: Proto = rnd(2) ? 'tcp' : 'udp';
      const port = 1 + rnd(160);
      const covering = p.rules.filter((_, i) => spans[i][0] <= num(ip) && num(ip) <= spans[i][1]);
      const matching = covering
        .map((r) => {
          const [lo, hi] = r.ports === 'any' ? [0, 65535] : [r.ports[proto]?.[0].lo ?? -1, r.ports[proto]?.[0].hi ?? -2];
          const ok = (r.proto === 'any' || r.proto === proto) && lo <= port && port <= hi;
          const [a, b] = spans[r.index];
          return ok ? { r, key: [b - a, hi - lo + 1, r.proto === 'any' ? 1 : 0, r.action === 'deny' ? 0 : 1, r.index] } : null;
        })
        .filter((m) => m !== null)
        .sort((m, n) => {
          for (let j = 0; j < 5; j++) if (m!.key[j] !== n!.key[j]) return m!.key[j] - n!.key[j];
          return 0;
        });
      const d = p.check(ip, proto, port);
      const want = covering.length === 0 ? 'no policy' : matching.length === 0 ? 'not allowed' : matching[0]!.r.action === 'allow' ? 'allowed' : 'denied';
      expect([ip, proto, port, d.reason, d.rule?.index ?? null]).toEqual([ip, proto, port, want, matching[0]?.r.index ?? null]);
    }
  });
});
