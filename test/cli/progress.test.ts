// The ingest progress line: on a terminal only, and only for ingests that take a while.
import { progress } from '../../cli/progress';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, columns: 120, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, written };
}

describe('ingest progress', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-21T02:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  test('a terminal gets one rewritten line with bytes, hosts and rate, cleared at the end', () => {
    const { stream, written } = fakeStream(true);
    const p = progress('scan.xml', 200 * 1048576, stream);
    jest.setSystemTime(new Date('2026-11-21T02:00:02Z'));
    p.update(100 * 1048576, 12345);
    // eslint-disable-next-line no-control-regex
    expect(written.join('')).toMatch(/^\rscan\.xml:\s+50 % 100\/200 MB, 12,345 hosts, 50\.0 MB\/s\x1b\[K$/);
    p.update(101 * 1048576, 12400); // within 250 ms: not redrawn
    expect(written).toHaveLength(1);
    p.update(200 * 1048576, 20000, 'comparing with the stored state');
    expect(written[1]).toContain('comparing with the stored state');
    p.done();
    expect(written[2]).toBe('\r\x1b[K');
  });

  test('an ingest shorter than a second shows nothing', () => {
    const { stream, written } = fakeStream(true);
    const p = progress('scan.xml', 1000, stream);
    p.update(1000, 10, 'comparing with the stored state');
    p.done();
    expect(written).toEqual([]);
  });

  test('when stderr is not a terminal nothing is written at all', () => {
    const { stream, written } = fakeStream(false);
    const p = progress('scan.xml', null, stream);
    jest.setSystemTime(new Date('2026-11-21T02:00:05Z'));
    p.update(5 * 1048576, 100);
    p.done();
    expect(written).toEqual([]);
  });
});
