// The classifier's matrix: (previous state, what the scan says, thresholds) → change flags and next state.
import { classifyHostMissing, classifyHostUp, classifyPort, type HostPrev, type PortPrev, type PortSeen, type Thresholds } from '../../delta-reporter/classify';

const T1: Thresholds = { openAfter: 1, closeAfter: 1, downAfter: 1 };
const T2: Thresholds = { openAfter: 2, closeAfter: 2, downAfter: 2 };
const up = (o: Partial<HostPrev> = {}): HostPrev => ({ status: 'up', hostname: 'a.test', namesKnown: true, missStreak: 0, everDown: false, allPorts: false, ...o });

describe('hosts the scan reports up', () => {
  test.each([
    ['never seen', null, 'a.test', true, 1, false, null],
    ['known up, same name', up(), 'a.test', true, 0, false, null],
    ['known up, renamed', up(), 'b.test', true, 4, false, 'a.test'],
    ['known up, name disappeared', up(), null, true, 4, false, 'a.test'],
    ['known up without a name, name appeared', up({ hostname: null }), 'a.test', true, 4, false, null],
    ['known up, scan did not resolve names', up(), null, false, 0, false, null],
    ['names never resolved before', up({ namesKnown: false, hostname: null }), 'a.test', true, 0, false, null],
    ['back after host_down', up({ status: 'down', everDown: true }), 'a.test', true, 1, true, null],
    ['back after host_down with a new name', up({ status: 'down', everDown: true }), 'b.test', true, 1 | 4, true, 'a.test'],
  ])('%s', (_title, prev, ptr, resolves, change, returning, previous) => {
    const d = classifyHostUp(prev as HostPrev | null, { ptr: ptr as string | null, resolvesNames: resolves as boolean, openCount: 3 }, 200);
    expect({ change: d.change, returning: d.returning, previous: d.previousHostname }).toEqual({ change, returning, previous });
    expect(d.next?.status).toBe('up');
    expect(d.next?.missStreak).toBe(0);
  });

  test('a host answering on more than max_open_ports ports is flagged once', () => {
    const first = classifyHostUp(up(), { ptr: 'a.test', resolvesNames: true, openCount: 500 }, 200);
    expect(first.change).toBe(64);
    const again = classifyHostUp(first.next, { ptr: 'a.test', resolvesNames: true, openCount: 500 }, 200);
    expect(again.change).toBe(0);
    const calm = classifyHostUp(again.next, { ptr: 'a.test', resolvesNames: true, openCount: 3 }, 200);
    expect(calm.next?.allPorts).toBe(false);
  });

  test('a scan without names keeps the stored name', () => {
    expect(classifyHostUp(up(), { ptr: null, resolvesNames: false, openCount: 1 }, 200).hostname).toBe('a.test');
  });
});

describe('known-up hosts the scan does not report up', () => {
  test.each([
    ['in scope, complete, down_after 1', up(), true, T1, 2, 'down'],
    ['no evidence (incomplete, out of scope, timed out)', up(), false, T1, 0, null],
    ['first miss under down_after 2', up(), true, T2, 0, 'up'],
    ['second miss under down_after 2', up({ missStreak: 1 }), true, T2, 2, 'down'],
    ['already down', up({ status: 'down' }), true, T1, 0, null],
  ])('%s', (_title, prev, evidence, t, change, nextStatus) => {
    const d = classifyHostMissing(prev as HostPrev, evidence as boolean, t as Thresholds);
    expect(d.change).toBe(change);
    expect(d.next?.status ?? null).toBe(nextStatus);
  });

  test('host_down carries the last known name and marks the host as having been down', () => {
    const d = classifyHostMissing(up(), true, T1);
    expect(d.hostname).toBe('a.test');
    expect(d.next?.everDown).toBe(true);
  });
});

const port = (reported: PortPrev['reported'], openStreak = 1, missStreak = 0): PortPrev => ({ reported, openStreak, missStreak });

describe('ports', () => {
  test.each<[string, PortPrev | null, PortSeen, boolean, Thresholds, number, PortPrev['reported'] | 'unchanged']>([
    ['new port', null, 'open', false, T1, 8, 'open'],
    ['new port of a new host', null, 'open', true, T1, 9, 'open'],
    ['still open', port('open'), 'open', false, T1, 0, 'open'],
    ['re-opened', port('closed', 0), 'open', false, T1, 32, 'open'],
    ['re-opened on a returning host', port('closed', 0), 'open', true, T1, 33, 'open'],
    ['closed', port('open'), 'missing', false, T1, 16, 'closed'],
    ['closed with its host', port('open'), 'hostDown', false, T1, 18, 'closed'],
    ['first sighting under open_after 2', null, 'open', false, T2, 0, null],
    ['second sighting under open_after 2', port(null, 1), 'open', false, T2, 8, 'open'],
    ['first miss under close_after 2', port('open'), 'missing', false, T2, 0, 'open'],
    ['second miss under close_after 2', port('open', 0, 1), 'missing', false, T2, 16, 'closed'],
    ['open|filtered is no evidence', port('open'), 'noevidence', false, T1, 0, 'unchanged'],
    ['out of scope is no evidence', port('open'), 'unknown', false, T1, 0, 'unchanged'],
    ['already closed stays closed silently', port('closed', 0), 'missing', false, T1, 0, 'closed'],
  ])('%s', (_title, prev, seen, hostIsNew, t, change, reported) => {
    const d = classifyPort(prev, seen, hostIsNew, t);
    expect(d.change).toBe(change);
    if (reported === 'unchanged') expect(d.next).toBeNull();
    else expect(d.next?.reported ?? null).toBe(reported);
  });

  test('a port flapping open-closed-open under close_after 2 yields no event at all after it was first reported', () => {
    const changes: number[] = [];
    let state: PortPrev | null = null;
    for (const seen of ['open', 'missing', 'open', 'missing', 'open'] as PortSeen[]) {
      const d = classifyPort(state, seen, false, { ...T1, closeAfter: 2 });
      changes.push(d.change);
      state = d.next ?? state;
    }
    expect(changes).toEqual([8, 0, 0, 0, 0]);
  });
});
