import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  BUNDLED_TOP1000_TCP,
  findServicesFile,
  loadServices,
  parseServices,
  portsListed,
  portsNamed,
  topPorts,
} from '../../common/nmap-top-ports';
import { countPorts, parsePortList, portInRanges } from '../../common/ports';
import type { PortScope, Proto } from '../../common/types';
import { testUnless, unlessCi } from '../helpers/needs';

const SAMPLE = `# Fields: name, port/proto, frequency, comment
http\t80/tcp\t0.484143\t# World Wide Web HTTP
telnet\t23/tcp\t0.221265
dup\t80/tcp\t0.900000\t# a second 80/tcp: nmap keeps the first
echo\t7/tcp\t0.100000
rje\t5/tcp\t0.100000
   # an indented comment
discard\t9/tcp\t1/10
zero\t11/tcp\t0.050000
domain\t53/UDP\t0.300000
m3ua\t2905/sctp\t0.010000
at-nbp\t2/ddp\t0.900000
huge\t70000/tcp\t0.900000
unknown\t1/tcp
`;
const db = parseServices(SAMPLE);
const ports = (lists: Partial<Record<Proto, string>>): PortScope =>
  Object.fromEntries(Object.entries(lists).map(([p, l]) => [p, parsePortList(l!)]));

describe('parseServices', () => {
  test('keeps the first line of a port/proto, known protocols and real ports only', () => {
    expect(db.entries.map((e) => `${e.name} ${e.port}/${e.proto} ${e.ratio}`)).toEqual([
      'http 80/tcp 0.484143',
      'telnet 23/tcp 0.221265',
      'echo 7/tcp 0.1',
      'rje 5/tcp 0.1',
      'discard 9/tcp 0.1',
      'zero 11/tcp 0.05',
      'domain 53/udp 0.3',
      'm3ua 2905/sctp 0.01',
      'unknown 1/tcp 0',
    ]);
    expect(db.hasRatios).toBe(true);
  });

  test('sorts by frequency, equal frequencies in file order', () => {
    expect(db.byRatio.map((e) => e.port)).toEqual([80, 53, 23, 7, 5, 9, 11, 2905, 1]);
  });

  test('an /etc/services-style file has no frequencies', () => {
    expect(parseServices('http 80/tcp www\nssh 22/tcp\n').hasRatios).toBe(false);
  });
});

describe('topPorts', () => {
  test.each<[number, Proto[], PortScope | undefined, Partial<Record<Proto, string>>]>([
    [1, ['tcp'], undefined, { tcp: '80' }],
    [3, ['tcp'], undefined, { tcp: '7,23,80' }],
    [4, ['tcp'], undefined, { tcp: '5,7,23,80' }],
    [100, ['tcp'], undefined, { tcp: '1,5,7,9,11,23,80' }],
    [2, ['tcp', 'udp', 'sctp'], undefined, { tcp: '23,80', udp: '53', sctp: '2905' }],
    [1, ['udp'], undefined, { udp: '53' }],
    [0.1, ['tcp'], undefined, { tcp: '5,7,9,23,80' }],
    [0.3, ['tcp', 'udp'], undefined, { tcp: '80', udp: '53' }],
    [2, ['tcp'], ports({ tcp: '1-10' }), { tcp: '5,7' }],
    [2, ['tcp'], ports({ tcp: '1-79,81-65535' }), { tcp: '7,23' }],
    [5, ['tcp', 'udp'], ports({ tcp: '80' }), { tcp: '80', udp: '' }],
  ])('level %d for %j within %j', (level, protos, candidates, expected) => {
    expect(topPorts(db, level, protos, candidates)).toEqual(ports(expected));
  });
});

describe('service names and brackets', () => {
  test.each<[string, Proto[], Partial<Record<Proto, string>>]>([
    ['http', ['tcp'], { tcp: '80' }],
    ['HTTP', ['tcp', 'udp'], { tcp: '80', udp: '' }],
    ['tel*', ['tcp'], { tcp: '23' }],
    ['?cho', ['tcp'], { tcp: '7' }],
    ['*', ['udp', 'sctp'], { udp: '53', sctp: '2905' }],
    ['dup', ['tcp'], { tcp: '' }],
    ['h.tp', ['tcp'], { tcp: '' }],
  ])('%j for %j', (mask, protos, expected) => {
    expect(portsNamed(db, mask, protos)).toEqual(ports(expected));
  });

  test('brackets keep the listed ports of each protocol', () => {
    expect(portsListed(db, ports({ tcp: '1-10', udp: '1-100' }))).toEqual(ports({ tcp: '1,5,7,9', udp: '53' }));
  });
});

describe('the services file on disk', () => {
  test('is read once per path and found in the first readable place', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portdelta-services-'));
    const file = path.join(dir, 'nmap-services');
    fs.writeFileSync(file, SAMPLE);
    const first = loadServices(file);
    fs.writeFileSync(file, 'other\t1/tcp\t0.9\n');
    expect(loadServices(file)).toBe(first);
    expect(findServicesFile([path.join(dir, 'missing'), file])).toBe(file);
    expect(findServicesFile([path.join(dir, 'missing')])).toBeNull();
    expect(() => loadServices(path.join(dir, 'missing'))).toThrow(/ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  test('the bundled list is nmap 7.93 TCP top 1000', () => {
    expect(countPorts(BUNDLED_TOP1000_TCP)).toBe(1000);
    for (const p of [21, 22, 23, 25, 80, 443, 3389, 8080]) expect(portInRanges(BUNDLED_TOP1000_TCP, p)).toBe(true);
  });

  const file = findServicesFile();
  testUnless(file ? null : unlessCi('no nmap-services file on this machine (apt-get install nmap)'), 'this machine\'s nmap-services gives the same top 1000 as the bundled list', () => {
    expect(topPorts(loadServices(file!), 1000, ['tcp']).tcp).toEqual(BUNDLED_TOP1000_TCP);
  });
});
