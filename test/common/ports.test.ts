import {
  countPorts,
  formatPortRanges,
  formatPortScope,
  isProto,
  isValidPort,
  mergePortRanges,
  parsePortList,
  parsePortScopeHeader,
  parsePortSpec,
  portInRanges,
} from '../../common/ports';
import type { PortScope, Proto } from '../../common/types';

describe('parsePortSpec', () => {
  test.each<[string, Proto[] | undefined, PortScope]>([
    ['80', undefined, { tcp: [{ lo: 80, hi: 80 }] }],
    ['22,80,443', undefined, { tcp: [{ lo: 22, hi: 22 }, { lo: 80, hi: 80 }, { lo: 443, hi: 443 }] }],
    ['1-1024,8443', undefined, { tcp: [{ lo: 1, hi: 1024 }, { lo: 8443, hi: 8443 }] }],
    ['80,81,82-90,79', undefined, { tcp: [{ lo: 79, hi: 90 }] }],
    ['-', undefined, { tcp: [{ lo: 1, hi: 65535 }] }],
    ['-100', undefined, { tcp: [{ lo: 1, hi: 100 }] }],
    ['60000-', undefined, { tcp: [{ lo: 60000, hi: 65535 }] }],
    ['0-', undefined, { tcp: [{ lo: 0, hi: 65535 }] }],
    ['0', undefined, { tcp: [{ lo: 0, hi: 0 }] }],
    [' 22 , 80 ', undefined, { tcp: [{ lo: 22, hi: 22 }, { lo: 80, hi: 80 }] }],
    ['53,161', ['udp'], { udp: [{ lo: 53, hi: 53 }, { lo: 161, hi: 161 }] }],
    ['53', ['tcp', 'udp'], { tcp: [{ lo: 53, hi: 53 }], udp: [{ lo: 53, hi: 53 }] }],
    ['U:53,T:80', ['tcp', 'udp'], { tcp: [{ lo: 80, hi: 80 }], udp: [{ lo: 53, hi: 53 }] }],
    // A prefix holds for the pieces after it, as in nmap: 111 is UDP, 25 and 80 TCP.
    ['U:53,111,T:21-25,80', ['tcp', 'udp'], { tcp: [{ lo: 21, hi: 25 }, { lo: 80, hi: 80 }], udp: [{ lo: 53, hi: 53 }, { lo: 111, hi: 111 }] }],
    ['22,S:2905', ['tcp'], { tcp: [{ lo: 22, hi: 22 }], sctp: [{ lo: 2905, hi: 2905 }] }],
    ['T:-', ['tcp', 'udp'], { tcp: [{ lo: 1, hi: 65535 }] }],
    // Brackets only drop: nmap would keep just the ports nmap-services lists (common/nmap-port-scope.ts does).
    ['[1-1024]', undefined, { tcp: [{ lo: 1, hi: 1024 }] }],
  ])('%j with unprefixed ports for %j', (spec, protos, expected) => {
    expect(parsePortSpec(spec, protos)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['http', /not a port/],
    ['80,,81', /not a port/],
    ['65536', /outside 0-65535/],
    ['100-1', /outside 0-65535/],
    ['1-99999', /outside 0-65535/],
    ['X:80', /not a port/],
  ])('%j is refused', (spec, message) => {
    expect(() => parsePortSpec(spec)).toThrow(message);
  });
});

describe('port lists', () => {
  test.each([
    ['1,3-4,6', [{ lo: 1, hi: 1 }, { lo: 3, hi: 4 }, { lo: 6, hi: 6 }]],
    ['', []],
    ['  ', []],
    ['53', [{ lo: 53, hi: 53 }]],
  ])('parsePortList(%j)', (text, expected) => {
    expect(parsePortList(text)).toEqual(expected);
  });

  test.each([
    [[{ lo: 5, hi: 9 }, { lo: 1, hi: 4 }], [{ lo: 1, hi: 9 }]],
    [[{ lo: 1, hi: 10 }, { lo: 3, hi: 4 }], [{ lo: 1, hi: 10 }]],
    [[{ lo: 1, hi: 2 }, { lo: 4, hi: 5 }], [{ lo: 1, hi: 2 }, { lo: 4, hi: 5 }]],
    [[], []],
  ])('mergePortRanges %#', (input, expected) => {
    expect(mergePortRanges(input)).toEqual(expected);
  });

  test('mergePortRanges leaves its input alone', () => {
    const input = [{ lo: 3, hi: 4 }, { lo: 1, hi: 2 }];
    mergePortRanges(input);
    expect(input).toEqual([{ lo: 3, hi: 4 }, { lo: 1, hi: 2 }]);
  });

  test.each([
    [[{ lo: 1, hi: 1 }, { lo: 3, hi: 4 }], '1,3-4'],
    [[], ''],
  ])('formatPortRanges %#', (ranges, text) => {
    expect(formatPortRanges(ranges)).toBe(text);
    expect(parsePortList(text)).toEqual(ranges);
  });

  test.each([
    [[{ lo: 1, hi: 1024 }, { lo: 8080, hi: 8080 }], 1025],
    [[], 0],
    [undefined, 0],
  ])('countPorts %#', (ranges, n) => {
    expect(countPorts(ranges)).toBe(n);
  });

  test.each([
    [80, true],
    [1, true],
    [1024, true],
    [1025, false],
    [0, false],
  ])('portInRanges(1-1024, %d) is %s', (port, inside) => {
    expect(portInRanges([{ lo: 1, hi: 1024 }], port)).toBe(inside);
  });
});

describe('the #ports header', () => {
  test.each<[string, PortScope]>([
    ['tcp:1-65535;udp:53,161', { tcp: [{ lo: 1, hi: 65535 }], udp: [{ lo: 53, hi: 53 }, { lo: 161, hi: 161 }] }],
    ['TCP:80; tcp:443', { tcp: [{ lo: 80, hi: 80 }, { lo: 443, hi: 443 }] }],
    ['sctp:2905', { sctp: [{ lo: 2905, hi: 2905 }] }],
    ['', {}],
  ])('%j', (text, scope) => {
    expect(parsePortScopeHeader(text)).toEqual(scope);
  });

  test('formatPortScope writes what parsePortScopeHeader reads, protocols in a fixed order', () => {
    const scope: PortScope = { udp: [{ lo: 53, hi: 53 }], tcp: [{ lo: 1, hi: 3 }], sctp: [] };
    expect(formatPortScope(scope)).toBe('tcp:1-3;udp:53');
    expect(parsePortScopeHeader(formatPortScope(scope))).toEqual({ tcp: [{ lo: 1, hi: 3 }], udp: [{ lo: 53, hi: 53 }] });
  });

  test.each(['tcp', 'icmp:8', 'tcp:http'])('%j is refused', (text) => {
    expect(() => parsePortScopeHeader(text)).toThrow();
  });
});

describe('small checks', () => {
  test.each([
    [0, true],
    [65535, true],
    [65536, false],
    [-1, false],
    [80.5, false],
    [NaN, false],
  ])('isValidPort(%d) is %s', (n, ok) => {
    expect(isValidPort(n)).toBe(ok);
  });

  test.each([
    ['tcp', true],
    ['udp', true],
    ['sctp', true],
    ['TCP', false],
    ['ip', false],
  ])('isProto(%j) is %s', (s, ok) => {
    expect(isProto(s)).toBe(ok);
  });
});
