// max_absence's hold in the pure classifier: a negative conclusion reached for the first time is
// held back (streak kept); one past its threshold (confirmed by a later scan) is concluded anyway.
import { classifyHostMissing, classifyPort, type HostPrev, type Thresholds } from '../../delta-reporter/classify';
import { ChangeType } from '../../common/types';
import { scannerSchema } from '../../common/scanner-config';

const host = (missStreak: number): HostPrev => ({ status: 'up', hostname: null, namesKnown: false, missStreak, everDown: false, allPorts: false });
const t = (downAfter: number, closeAfter = downAfter): Thresholds => ({ openAfter: 1, closeAfter, downAfter });

test.each([
  // [down_after, stored miss streak, hold, change, held, next miss streak or 'down']
  [1, 0, false, ChangeType.host_down, false, 'down'],
  [1, 0, true, 0, true, 1],
  [1, 1, true, ChangeType.host_down, false, 'down'], // held last scan: this scan confirms it
  [2, 0, true, 0, false, 1], // below the threshold: nothing to hold
  [2, 1, true, 0, true, 2],
  [2, 2, true, ChangeType.host_down, false, 'down'],
  [2, 1, false, ChangeType.host_down, false, 'down'],
])('host: down_after %i, streak %i, hold %s → change %i, held %s, next %s', (downAfter, streak, hold, change, held, next) => {
  const d = classifyHostMissing(host(streak), true, t(downAfter), hold);
  expect(d.change).toBe(change);
  expect(!!d.held).toBe(held);
  expect(d.next!.status === 'down' ? 'down' : d.next!.missStreak).toBe(next);
});

test.each([
  [1, 0, false, ChangeType.port_closed, false],
  [1, 0, true, 0, true],
  [1, 1, true, ChangeType.port_closed, false],
  [3, 1, true, 0, false],
  [3, 2, true, 0, true],
])('port: close_after %i, streak %i, hold %s → change %i, held %s', (closeAfter, streak, hold, change, held) => {
  const d = classifyPort({ reported: 'open', openStreak: 0, missStreak: streak }, 'missing', false, t(1, closeAfter), hold);
  expect(d.change).toBe(change);
  expect(!!d.held).toBe(held);
  if (held) expect(d.next).toEqual({ reported: 'open', openStreak: 0, missStreak: streak + 1 });
});

test('hold never touches evidence-free misses or positive events', () => {
  expect(classifyHostMissing(host(0), false, t(1), true)).toMatchObject({ change: 0, next: null });
  expect(classifyPort(null, 'open', false, t(1), true).change).toBe(ChangeType.new_port);
});

test.each([
  ['50%', 0.5], [50, 0.5], ['12.5 %', 0.125], ['0%', 0], ['100%', 1],
])('max_absence %p reads as %p; expect_every a duration', (written, share) => {
  expect(scannerSchema.parse({ max_absence: written, expect_every: '26h' })).toMatchObject({ max_absence: share, expect_every: 26 * 3600e3 });
});

test.each(['150%', '-5%', 'half', ''])('max_absence %p is refused with the remedy', (written) => {
  const r = scannerSchema.safeParse({ max_absence: written });
  expect(r.success).toBe(false);
  if (!r.success) expect(r.error.issues[0].message).toMatch(/percentage from 0% to 100%/);
});

test('the default max_absence is 50% and expect_every none', () => {
  expect(scannerSchema.parse({})).toMatchObject({ max_absence: 0.5 });
  expect(scannerSchema.parse({}).expect_every).toBeUndefined();
});
