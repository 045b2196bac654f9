import {
  canonicalIp,
  formatRange,
  ipKey,
  isIp,
  keyToIp,
  mergeRanges,
  parseTarget,
  parseTargets,
  rangesContain,
  subtractRanges,
} from '../../common/ip';
import type { IpRange } from '../../common/types';

/** Ranges as [first, last] addresses, so expectations read like the input. */
const ends = (ranges: IpRange[] | null): Array<[string, string]> | null =>
  ranges && ranges.map((r) => [keyToIp(r.lo), keyToIp(r.hi)]);
const range = (lo: string, hi = lo): IpRange => ({ lo: ipKey(lo), hi: ipKey(hi) });

describe('canonicalIp', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['255.255.255.255', '255.255.255.255'],
    ['FDAA:0066:0003:0000:0000:0000:0000:0001', 'fdaa:66:3::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::ffff:a01:203', '10.1.2.3'],
  ])('%s is written %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
    expect(isIp(text)).toBe(true);
  });

  test.each(['10.0.0.256', '10.0.0', '10.0.0.1.2', '010.0.0.1', 'host.example', '', 'fd00::1::2', '10.0.0.1/24'])(
    '%j is not an address',
    (text) => {
      expect(canonicalIp(text)).toBeNull();
      expect(isIp(text)).toBe(false);
    },
  );
});

describe('ipKey and keyToIp', () => {
  test.each([
    ['0.0.0.0', '00000000000000000000ffff00000000'],
    ['10.66.1.7', '00000000000000000000ffff0a420107'],
    ['::ffff:10.66.1.7', '00000000000000000000ffff0a420107'],
    ['::1', '00000000000000000000000000000001'],
    ['fdaa:66:3::1', 'fdaa0066000300000000000000000001'],
  ])('%s has the key %s and back', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
    expect(keyToIp(key)).toBe(canonicalIp(ip));
  });

  test('keys sort like addresses, IPv4 below global IPv6', () => {
    const ips = ['10.0.0.2', '10.0.0.10', '9.255.255.255', '2001:db8::1', '::1', '192.168.0.1'];
    const sorted = [...ips].sort((a, b) => (ipKey(a) < ipKey(b) ? -1 : 1));
    expect(sorted).toEqual(['::1', '9.255.255.255', '10.0.0.2', '10.0.0.10', '192.168.0.1', '2001:db8::1']);
  });

  test('a non-address has no key', () => {
    expect(() => ipKey('example.com')).toThrow(/not an IP address/);
  });
});

describe('parseTarget', () => {
  test.each<[string, Array<[string, string]>]>([
    ['10.66.1.0/24', [['10.66.1.0', '10.66.1.255']]],
    ['10.66.1.77/24', [['10.66.1.0', '10.66.1.255']]],
    ['127.0.10.0/28', [['127.0.10.0', '127.0.10.15']]],
    ['10.0.0.5/32', [['10.0.0.5', '10.0.0.5']]],
    ['0.0.0.0/0', [['0.0.0.0', '255.255.255.255']]],
    ['10.0.0.7', [['10.0.0.7', '10.0.0.7']]],
    ['10.0.0.1-50', [['10.0.0.1', '10.0.0.50']]],
    ['10.0.0.1-10.0.1.5', [['10.0.0.1', '10.0.1.5']]],
    ['10.0.0-3.1-254', [['10.0.0.1', '10.0.0.254'], ['10.0.1.1', '10.0.1.254'], ['10.0.2.1', '10.0.2.254'], ['10.0.3.1', '10.0.3.254']]],
    ['10.1.1.*', [['10.1.1.0', '10.1.1.255']]],
    ['10.0.0.1,2,5-6', [['10.0.0.1', '10.0.0.2'], ['10.0.0.5', '10.0.0.6']]],
    ['10.0.1,3.5', [['10.0.1.5', '10.0.1.5'], ['10.0.3.5', '10.0.3.5']]],
    ['10.0.0.250-', [['10.0.0.250', '10.0.0.255']]],
    ['10.0.0-1.*', [['10.0.0.0', '10.0.1.255']]],
    ['10.*.*.*', [['10.0.0.0', '10.255.255.255']]],
    ['*.*.*.*', [['0.0.0.0', '255.255.255.255']]],
    ['fdaa:66:3::/120', [['fdaa:66:3::', 'fdaa:66:3::ff']]],
    ['fdaa:66:3::/64', [['fdaa:66:3::', 'fdaa:66:3:0:ffff:ffff:ffff:ffff']]],
    ['FDAA:66:3::1/128', [['fdaa:66:3::1', 'fdaa:66:3::1']]],
    ['::1', [['::1', '::1']]],
    ['fd00::1-fd00::9', [['fd00::1', 'fd00::9']]],
    ['::ffff:10.0.0.0/120', [['10.0.0.0', '10.0.0.255']]],
  ])('%s covers %j', (spec, expected) => {
    expect(ends(parseTarget(spec))).toEqual(expected);
  });

  test('10-11.*.0.1 is one address per second and third octet', () => {
    const r = parseTarget('10-11.*.0.1')!;
    expect(r).toHaveLength(512);
    expect(ends([r[0], r[511]])).toEqual([['10.0.0.1', '10.0.0.1'], ['11.255.0.1', '11.255.0.1']]);
  });

  test('more than 65536 enumerated octet prefixes are refused (whole trailing octets are not enumerated)', () => {
    expect(parseTarget('1-255.1-255.1-255.1')).toBeNull();
    expect(ends(parseTarget('1-255.1-255.*.*'))).toHaveLength(255);
  });

  test.each([
    'scanme.nmap.org', 'localhost', '10.0.0.256', '10.0.0.0/33', 'fd00::/129', '10.0.0.5-3', '10.0.0.1-10.0.0.0',
    '10.0.0.1,10.0.0.2', '10.0.0', '', '/24', '10.0.0.1/abc', 'fd00::1-fd00::', '10..0.1',
  ])('%j is no address target', (spec) => {
    expect(parseTarget(spec)).toBeNull();
  });
});

describe('parseTargets', () => {
  test.each<[string[], string[]]>([
    [['10.0.0.0/24,10.1.0.1-50 fd00::/64'], ['10.0.0.0/24', '10.1.0.1-10.1.0.50', 'fd00::/64']],
    [['10.0.0.1,2,3'], ['10.0.0.1-10.0.0.3']],
    [['10.0.1,2.5'], ['10.0.1.5', '10.0.2.5']],
    [['10.0.0.0/25', '10.0.0.128/25'], ['10.0.0.0/24']],
    [['fd00::1,fd00::2'], ['fd00::1-fd00::2']],
    [[], []],
  ])('%j reads as %j', (specs, expected) => {
    expect(parseTargets(specs).map(formatRange)).toEqual(expected);
  });

  test('a bad target names itself', () => {
    expect(() => parseTargets(['10.0.0.0/24,nope.example'])).toThrow(/'nope.example'/);
  });
});

describe('mergeRanges, subtractRanges, rangesContain', () => {
  test.each<[IpRange[], Array<[string, string]>]>([
    [[range('10.0.0.5', '10.0.0.9'), range('10.0.0.1', '10.0.0.4')], [['10.0.0.1', '10.0.0.9']]],
    [[range('10.0.0.1', '10.0.0.9'), range('10.0.0.3', '10.0.0.4')], [['10.0.0.1', '10.0.0.9']]],
    [[range('10.0.0.1'), range('10.0.0.3')], [['10.0.0.1', '10.0.0.1'], ['10.0.0.3', '10.0.0.3']]],
    [[range('255.255.255.255'), range('::1')], [['::1', '::1'], ['255.255.255.255', '255.255.255.255']]],
    [[], []],
  ])('merge %#', (input, expected) => {
    expect(ends(mergeRanges(input))).toEqual(expected);
  });

  test.each<[string, string, Array<[string, string]>]>([
    ['10.0.0.0/24', '10.0.0.7', [['10.0.0.0', '10.0.0.6'], ['10.0.0.8', '10.0.0.255']]],
    ['10.0.0.0/24', '10.0.0.0/25', [['10.0.0.128', '10.0.0.255']]],
    ['10.0.0.0/24', '10.0.0.0/16', []],
    ['10.0.0.0/24', '10.0.1.0/24', [['10.0.0.0', '10.0.0.255']]],
    ['10.0.0.0/24', '10.0.0.255', [['10.0.0.0', '10.0.0.254']]],
    ['fdaa:66:3::/120', 'fdaa:66:3::1', [['fdaa:66:3::', 'fdaa:66:3::'], ['fdaa:66:3::2', 'fdaa:66:3::ff']]],
  ])('%s minus %s', (a, b, expected) => {
    expect(ends(subtractRanges(parseTarget(a)!, parseTarget(b)!))).toEqual(expected);
  });

  test('rangesContain finds a key inside and not outside', () => {
    const r = parseTarget('10.0.0.0/30')!;
    expect(rangesContain(r, ipKey('10.0.0.3'))).toBe(true);
    expect(rangesContain(r, ipKey('10.0.0.4'))).toBe(false);
  });
});

describe('formatRange', () => {
  test.each([
    ['10.0.0.7', '10.0.0.7'],
    ['10.0.0.0/24', '10.0.0.0/24'],
    ['10.0.0.1-50', '10.0.0.1-10.0.0.50'],
    ['10.0.0.0-127', '10.0.0.0/25'],
    ['10.0.0.128-255', '10.0.0.128/25'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fdaa:66:3::/120', 'fdaa:66:3::/120'],
    ['fd00::1-fd00::9', 'fd00::1-fd00::9'],
  ])('%s is shown as %s', (spec, shown) => {
    expect(formatRange(parseTarget(spec)![0])).toBe(shown);
  });
});
