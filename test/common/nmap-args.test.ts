import { keyToIp } from '../../common/ip';
import { scopeFromNmapArgs } from '../../common/nmap-args';
import { BUNDLED_TOP1000_TCP, findServicesFile } from '../../common/nmap-top-ports';
import { formatPortRanges, parsePortList } from '../../common/ports';
import type { IpRange, PortScope, Proto } from '../../common/types';
import { describeUnless, unlessCi } from '../helpers/needs';

const ends = (ranges: IpRange[] | null) => ranges && ranges.map((r) => [keyToIp(r.lo), keyToIp(r.hi)]);
/** {tcp: '80,443'} → PortScope, so expectations read like nmap's lists. */
const ports = (lists: Partial<Record<Proto, string>>): PortScope =>
  Object.fromEntries(Object.entries(lists).map(([p, l]) => [p, parsePortList(l!)]));
const NO_SERVICES = '/nonexistent/nmap-services';
const NO_SERVICES_HERE = findServicesFile() ? null : unlessCi('no nmap-services file on this machine (apt-get install nmap)');

describe('hosts', () => {
  test.each<[string, string[][] | null, string[]]>([
    ['nmap -sS 10.0.0-3.1-254', [['10.0.0.1', '10.0.0.254'], ['10.0.1.1', '10.0.1.254'], ['10.0.2.1', '10.0.2.254'], ['10.0.3.1', '10.0.3.254']], []],
    ['nmap 10.1.1.*', [['10.1.1.0', '10.1.1.255']], []],
    ['nmap -6 -sT fdaa:66:3::/120', [['fdaa:66:3::', 'fdaa:66:3::ff']], []],
    ['nmap -6 fd00::/126 fd00::10', [['fd00::', 'fd00::3'], ['fd00::10', 'fd00::10']], []],
    ['nmap 10.0.0.0/24 --exclude 10.0.0.1,10.0.0.128/25', [['10.0.0.0', '10.0.0.0'], ['10.0.0.2', '10.0.0.127']], []],
    ['nmap --exclude=10.0.0.5 10.0.0.0/29', [['10.0.0.0', '10.0.0.4'], ['10.0.0.6', '10.0.0.7']], []],
    ['nmap --exclude 10.0.0.1 --exclude 10.0.0.2 10.0.0.1-3', [['10.0.0.1', '10.0.0.1'], ['10.0.0.3', '10.0.0.3']], []],
    ['nmap -6 --exclude fd00::1 fd00::/126', [['fd00::', 'fd00::'], ['fd00::2', 'fd00::3']], []],
    ['nmap -iL targets.txt', null, []],
    ['nmap -iL targets.txt 10.0.0.1', null, []],
    ['nmap -iR 100 -p 80', null, []],
    ['nmap --excludefile skip.txt 10.0.0.0/24', null, []],
    ['nmap --resume night1.gnmap', null, []],
    ['nmap 10.0.0.300', null, []],
    ['nmap 10.0.0.0/24 --exclude gw.example', null, []],
    ['nmap scanme.nmap.org 10.0.0.1', [['10.0.0.1', '10.0.0.1']], ['scanme.nmap.org']],
    ['nmap web-1.lab.example. db_2', [], ['web-1.lab.example.', 'db_2']],
    ['nmap host.example/24', [], ['host.example']],
    ['nmap 10.0.0.1 ::1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap -6 10.0.0.1 ::1', [['::1', '::1']], []],
    ['nmap -sL 10.0.0.0/24', [], []],
    ['nmap -sn 10.0.0.0/30', [['10.0.0.0', '10.0.0.3']], []],
    ['nmap -p 80', [], []],
    ['nmap -sS -oA nmap-tcp -oX x.xml -oN n.txt -oG g.txt 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['/usr/bin/nmap -e eth0 -S 10.9.9.9 -D 10.8.8.8,ME -g 53 --source-port 53 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap --script "http-* and safe" --script-args user=a 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap -sI zombie.example -Pn 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap -b anon@ftp.example 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap -T 4 --max-retries 2 --host-timeout 30m --dns-servers 10.9.9.9 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
    ['nmap --min-rate=3000 --max-rate 9000 10.0.0.1 -- 10.0.0.2', [['10.0.0.1', '10.0.0.2']], []],
    ['nmap -PS22,80 -PA80 -PU53 -PY -PE 10.0.0.1', [['10.0.0.1', '10.0.0.1']], []],
  ])('%s covers %j, names %j', (args, hosts, names) => {
    const s = scopeFromNmapArgs(args, { servicesFile: NO_SERVICES });
    expect(ends(s.hosts)).toEqual(hosts);
    expect(s.hostNames).toEqual(names);
  });

  test.each([
    ['nmap -iL targets.txt', /-iL targets\.txt/],
    ['nmap 10.0.0.1 ::1', /::1 is IPv6 but the scan lacks -6/],
    ['nmap scanme.nmap.org', /scanme\.nmap\.org.*hosts the file lists/],
    ['nmap -sL 10.0.0.0/24', /-sL only lists/],
    ['nmap --exclude 10.0.0.1 --exclude 10.0.0.2 10.0.0.0/24', /only the last of 2 --exclude/],
    ['nmap --bogus 10.0.0.1', /unknown option --bogus/],
  ])('%s warns %s', (args, warning) => {
    expect(scopeFromNmapArgs(args).warnings.join('\n')).toMatch(warning);
  });
});

describe('ports from the command line', () => {
  test.each<[string, Partial<Record<Proto, string>>, string]>([
    ['nmap -sSU -p U:53,T:80 10.0.0.1', { tcp: '80', udp: '53' }, '-p'],
    ['nmap -sS -sU -p 53,U:161 10.0.0.1', { tcp: '53', udp: '53,161' }, '-p'],
    ['nmap -p 80, 10.0.0.1', { tcp: '80' }, '-p'],
    ['nmap -sU -p T:80,U:53 10.0.0.1', { udp: '53' }, '-p'],
    ['nmap -sS -sU -p T:80 10.0.0.1', { tcp: '80', udp: '' }, '-p'],
    ['nmap -p- 10.0.0.1', { tcp: '1-65535' }, '-p'],
    ['nmap -p 0- 10.0.0.1', { tcp: '0-65535' }, '-p'],
    ['nmap -p80 10.0.0.1', { tcp: '80' }, '-p'],
    ['nmap -p 80 -p 443 10.0.0.1', { tcp: '443' }, '-p'],
    ['nmap --min-rate=3000 -p 1-10 10.0.0.1', { tcp: '1-10' }, '-p'],
    ['nmap -p 80,443 --exclude-ports 443 10.0.0.1', { tcp: '80' }, '-p, --exclude-ports'],
    ['nmap -sSU -p 1-100 --exclude-ports=20-30,T:50,U:1-90 10.0.0.1', { tcp: '1-19,31-49,51-100', udp: '91-100' }, '-p, --exclude-ports'],
    ['nmap -sY -p 2905 10.0.0.1', { sctp: '2905' }, '-p'],
    ['nmap -sY -sZ -sS -p 22 10.0.0.1', { tcp: '22', sctp: '22' }, '-p'],
    ['nmap -sV -sC -p 22 10.0.0.1', { tcp: '22' }, '-p'],
    ['nmap -A -p 22 10.0.0.1', { tcp: '22' }, '-p'],
    ['nmap --scanflags URGACK -p 22 10.0.0.1', { tcp: '22' }, '-p'],
    ['nmap -sn 10.0.0.1', {}, 'no port scan (-sn)'],
    ['nmap -sP 10.0.0.1', {}, 'no port scan (-sn)'],
    ['nmap -sO 10.0.0.1', {}, 'no port scan (-sO scans IP protocols)'],
    ['nmap -sL 10.0.0.1', {}, 'no port scan (-sL lists targets)'],
    ['nmap -sS 10.0.0.1', { tcp: formatPortRanges(BUNDLED_TOP1000_TCP) }, 'default top 1000 (bundled nmap 7.93 top 1000)'],
    ['nmap --top-ports 1000 -sT 10.0.0.1', { tcp: formatPortRanges(BUNDLED_TOP1000_TCP) }, '--top-ports 1000 (bundled nmap 7.93 top 1000)'],
  ])('%s scans %j (%s)', (args, expected, source) => {
    const s = scopeFromNmapArgs(args, { servicesFile: NO_SERVICES });
    expect(s.ports).toEqual(ports(expected));
    expect(s.portsSource).toBe(source);
  });

  test.each(['-sA', '-sW', '-sM', '-sN', '-sF', '-sX', '-sT', '-sS', '-sI zombie', '-b ftp.example', '-sSV', '-sVS'])(
    'nmap %s -p 7 scans TCP port 7',
    (scan) => {
      expect(scopeFromNmapArgs(`nmap ${scan} -p 7 10.0.0.1`).ports).toEqual(ports({ tcp: '7' }));
    },
  );

  test.each([
    ['nmap -p 80-70 10.0.0.1', /80-70/],
    ['nmap -p 80,,81 10.0.0.1', /empty port specification/],
    ['nmap --top-ports 0 10.0.0.1', /--top-ports 0 is not a valid port count/],
    ['nmap --top-ports lots 10.0.0.1', /not a valid port count/],
    ['nmap --port-ratio 2 10.0.0.1', /not a valid ratio/],
    ['nmap -sU 10.0.0.1', /default top 1000 needs nmap's services list/],
    ['nmap -sS --top-ports 1000 --exclude-ports 80 10.0.0.1', /needs nmap's services list/],
    ['nmap -F 10.0.0.1', /-F needs nmap's services list/],
    ['nmap -p http 10.0.0.1', /service names .* need nmap-services/],
    ['nmap -p [1-1024] 10.0.0.1', /need nmap-services/],
  ])('%s leaves the ports unknown (%s) without nmap-services', (args, why) => {
    const s = scopeFromNmapArgs(args, { servicesFile: NO_SERVICES });
    expect(s.ports).toBeNull();
    expect(s.portsSource).toMatch(/^unknown: /);
    expect(s.portsSource).toMatch(why);
    expect(s.warnings.join('\n')).toMatch(/the ports scanned are unknown/);
  });

  test('--datadir makes top ports unknown, since nmap read its own services list there', () => {
    const s = scopeFromNmapArgs('nmap --datadir /opt/nmap/share 10.0.0.1');
    expect(s.ports).toBeNull();
    expect(s.portsSource).toMatch(/--datadir \/opt\/nmap\/share/);
    expect(scopeFromNmapArgs('nmap --datadir /opt/nmap/share -p 80 10.0.0.1').ports).toEqual(ports({ tcp: '80' }));
  });
});

// nmap 7.93's lists (its own -oX output for these options), used when this machine has nmap-services.
const TOP100_TCP =
  '7,9,13,21-23,25-26,37,53,79-81,88,106,110-111,113,119,135,139,143-144,179,199,389,427,443-445,465,513-515,543-544,548,554,587,631,646,873,990,993,995,1025-1029,1110,1433,1720,1723,1755,1900,2000-2001,2049,2121,2717,3000,3128,3306,3389,3986,4899,5000,5009,5051,5060,5101,5190,5357,5432,5631,5666,5800,5900,6000-6001,6646,7070,8000,8008-8009,8080-8081,8443,8888,9100,9999-10000,32768,49152-49157';
const TOP20_UDP_NOT_53_161 = '67-69,111,123,135,137-139,162,445,500,514,520,631,1434,1900,4500,5353,49152';

describeUnless(NO_SERVICES_HERE, 'ports nmap derives from nmap-services', () => {
  test.each<[string, Partial<Record<Proto, string>>, string]>([
    ['nmap --top-ports 100 10.0.0.1', { tcp: TOP100_TCP }, '--top-ports 100 (nmap-services)'],
    ['nmap -F 10.0.0.1', { tcp: TOP100_TCP }, '-F (nmap-services)'],
    ['nmap -sS -F --top-ports 100 10.0.0.1', { tcp: TOP100_TCP }, '--top-ports 100 (nmap-services)'],
    ['nmap -sU --top-ports 20 --exclude-ports 53,161 10.0.0.1', { udp: TOP20_UDP_NOT_53_161 }, '--top-ports 20 (nmap-services), --exclude-ports'],
    ['nmap -sS --port-ratio 0.2 10.0.0.1', { tcp: '23,80,443' }, '--port-ratio 0.2 (nmap-services)'],
    ['nmap -sS -p 1-100 --top-ports 5 10.0.0.1', { tcp: '21-23,25,80' }, '--top-ports 5 (nmap-services)'],
  ])('%s', (args, expected, source) => {
    const s = scopeFromNmapArgs(args);
    expect(s.ports).toEqual(ports(expected));
    expect(s.portsSource).toBe(source);
  });
});

describe('names and odd lines', () => {
  test.each([
    ['nmap -n 10.0.0.1', false],
    ['nmap -nF -p 80 10.0.0.1', false],
    ['nmap 10.0.0.1', true],
    ['nmap -R 10.0.0.1', true],
    ['nmap --system-dns 10.0.0.1', true],
  ])('%s resolves names: %s', (args, resolves) => {
    expect(scopeFromNmapArgs(args).resolvesNames).toBe(resolves);
  });

  test.each([
    ['', /names no target/],
    ['   ', /names no target/],
    ['nmap', /names no target/],
    ['nmap 10.0.0.1 -p', /-p lacks its value/],
    ['nmap 10.0.0.1 --exclude', /--exclude lacks its value/],
    ['nmap "unterminated 10.0.0.1', /unterminated " quote/],
    ['nmap -s 10.0.0.1', /-s names no scan type/],
    ['nmap -sQ -p 1 10.0.0.1', /unknown scan type -sQ/],
    ['nmap -sn -sS 10.0.0.1', /nmap refuses -sn with other scan types/],
    ['masscan 10.0.0.0/8 -p 80', /starts with 'masscan', not nmap/],
  ])('%j gives a scope with a warning (%s) instead of throwing', (args, warning) => {
    const s = scopeFromNmapArgs(args, { servicesFile: NO_SERVICES });
    expect(s.warnings.join('\n')).toMatch(warning);
  });

  test('a value that is not a string is a warning too', () => {
    const s = scopeFromNmapArgs(undefined as unknown as string);
    expect(s.hosts).toEqual([]);
    expect(s.warnings.join('\n')).toMatch(/names no target/);
  });
});
