// The target-group rule as a pure function (output-agents/duplicates.ts): which freshly claimed
// changes repeat an origin the group already took, or an earlier change of the same batch.
import { decideDuplicates, type DuplicateRules } from '../../output-agents/duplicates';
import type { KeyedChange } from '../../db/delivery-repo';

const H = 3600e3;
const ch = (change_id: number, hours: number, over: Partial<KeyedChange> = {}): KeyedChange => ({
  change_id, ip: '10.0.0.1', ip_key: 'k1', proto: 'tcp', port: 80, type: 8, detected_at: hours * H, ...over,
});
const rules = (over: Partial<DuplicateRules> = {}): DuplicateRules => ({
  targetGroup: 'soc', duplicates: 'suppress', windowMs: 24 * H, isExpected: () => false, ...over,
});
const decide = (fresh: KeyedChange[], known: KeyedChange[], r = rules()) => Object.fromEntries(decideDuplicates(fresh, known, r));

test.each([
  ['a repeat of a known origin within the window is suppressed', [ch(5, 10)], [ch(1, 0)], rules(), { 5: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
  ['with confirm it names the origin', [ch(5, 10)], [ch(1, 0)], rules({ duplicates: 'confirm' }), { 5: { confirms: 1 } }],
  ['outside the window it is a new event', [ch(5, 25)], [ch(1, 0)], rules(), {}],
  ['another port, proto, type or address is another event', [ch(5, 1, { port: 81 }), ch(6, 1, { proto: 'udp' }), ch(7, 1, { type: 32 }), ch(8, 1, { ip_key: 'k2' })], [ch(1, 0)], rules(), {}],
  ['host events (no port) compare as equal when both lack it', [ch(5, 1, { proto: null, port: null, type: 1 })], [ch(1, 0, { proto: null, port: null, type: 1 })], rules(), { 5: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
  ['within one batch the lowest id goes out and the later one repeats it', [ch(9, 1), ch(4, 0)], [], rules(), { 9: { status: 'suppressed', reason: 'duplicate', of: 4 } }],
  ['a repeat is no origin: a third change beyond the first one’s window goes out', [ch(2, 20), ch(3, 40)], [ch(1, 0)], rules(), { 2: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
  ['no target group: nothing is a duplicate', [ch(5, 1)], [ch(1, 0)], rules({ targetGroup: null }), {}],
  ['only_unexpected: an expected change is suppressed as expected, before any duplicate check', [ch(5, 1)], [], rules({ isExpected: () => true }), { 5: { status: 'suppressed', reason: 'expected' } }],
])('%s', (_t, fresh, known, r, want) => {
  expect(decide(fresh, known, r)).toEqual(want);
});

test.each([
  ['of several origins in the window, a known one wins over an earlier change of the batch', [ch(2, 0), ch(9, 1)], [ch(7, 5)], rules(),
    { 2: { status: 'suppressed', reason: 'duplicate', of: 7 }, 9: { status: 'suppressed', reason: 'duplicate', of: 7 } }],
  ['of several known origins in the window, the lowest id wins, whatever their times', [ch(9, 10)], [ch(3, 20), ch(1, 1), ch(2, 0)], rules(),
    { 9: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
  ['exactly the window apart still repeats; a millisecond more does not', [ch(5, 24), ch(6, 0, { port: 81, detected_at: 24 * H + 1 })], [ch(1, 0), ch(2, 0, { port: 81 })], rules(),
    { 5: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
  ['an origin after the change (detected later, taken earlier) counts too', [ch(5, 0)], [ch(1, 10)], rules(), { 5: { status: 'suppressed', reason: 'duplicate', of: 1 } }],
])('%s', (_t, fresh, known, r, want) => {
  expect(decide(fresh, known, r)).toEqual(want);
});

/** The rule as first written: every change against every origin, in id order (known first). */
function reference(fresh: KeyedChange[], known: KeyedChange[], r: DuplicateRules) {
  const out: Record<number, unknown> = {};
  const origins = [...known].sort((a, b) => a.change_id - b.change_id);
  for (const c of [...fresh].sort((a, b) => a.change_id - b.change_id)) {
    if (r.isExpected(c)) {
      out[c.change_id] = { status: 'suppressed', reason: 'expected' };
      continue;
    }
    const origin = origins.find((o) => o.ip_key === c.ip_key && o.proto === c.proto && o.port === c.port && o.type === c.type
      && Math.abs(o.detected_at - c.detected_at) <= r.windowMs);
    if (!origin) origins.push(c);
    else out[c.change_id] = r.duplicates === 'suppress' ? { status: 'suppressed', reason: 'duplicate', of: origin.change_id } : { confirms: origin.change_id };
  }
  return out;
}

test.each([1, 2, 3, 4, 5])('random batches (seed %i) get the same decisions as the simple every-against-every rule', (seed) => {
  let s = seed * 2654435761;
  const rnd = (n: number) => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
  // Few keys and a few days of times, so repeats, chains and several origins per window are common.
  const random = (id: number): KeyedChange => {
    const host = rnd(3) === 0;
    return ch(id, rnd(96), { ip_key: `k${rnd(6)}`, proto: host ? null : ['tcp', 'udp'][rnd(2)], port: host ? null : 20 + rnd(3), type: host ? 1 : [8, 32][rnd(2)] });
  };
  const ids = Array.from({ length: 1600 }, (_, i) => i + 1).sort(() => rnd(3) - 1);
  const known = ids.slice(0, 400).map(random);
  const fresh = ids.slice(400).map(random);
  const r = rules({ duplicates: seed % 2 ? 'suppress' : 'confirm', windowMs: (6 + rnd(30)) * H, isExpected: (c) => c.change_id % 17 === 0 });
  const got = decide(fresh, known, r);
  expect(Object.keys(got).length).toBeGreaterThan(100);
  expect(got).toEqual(reference(fresh, known, r));
});
