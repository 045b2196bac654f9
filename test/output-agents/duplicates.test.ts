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
