// The classifier's matrix: (previous state, what the scan says, thresholds) → change flags and next state.
// The table itself is shared with classify-through-ingest.test.ts (test/helpers/classify-table.ts).
import { classifyHostMissing, classifyHostUp, classifyPort, type PortPrev, type PortSeen } from '../../delta-reporter/classify';
import { FACTS_CASES, HOST_MISSING_CASES, HOST_UP_CASES, MAX_OPEN_PORTS, OPEN_COUNT, PORT_CASES, T1, crt, svc, up } from '../helpers/classify-table';
import { classifyFacts } from '../../delta-reporter/classify-facts';

describe('hosts the scan reports up', () => {
  test.each(HOST_UP_CASES)('$title', ({ prev, ptr, resolves, change, returning, previous }) => {
    const d = classifyHostUp(prev, { ptr, resolvesNames: resolves, openCount: OPEN_COUNT }, MAX_OPEN_PORTS);
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
  test.each(HOST_MISSING_CASES)('$title', ({ prev, evidence, t, change, nextStatus }) => {
    const d = classifyHostMissing(prev, evidence, t);
    expect(d.change).toBe(change);
    expect(d.next?.status ?? null).toBe(nextStatus);
  });

  test('host_down carries the last known name and marks the host as having been down', () => {
    const d = classifyHostMissing(up(), true, T1);
    expect(d.hostname).toBe('a.test');
    expect(d.next?.everDown).toBe(true);
  });
});

describe('ports', () => {
  test.each(PORT_CASES)('$title', ({ prev, seen, hostIsNew, t, change, reported }) => {
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

describe('service fingerprints and certificates', () => {
  test.each(FACTS_CASES)('$title', ({ prev, service, cert, reportedOpen, change, next }) => {
    const d = classifyFacts(prev, { service, cert, reportedOpen });
    expect(d.change).toBe(change);
    expect(d.next).toEqual(next);
  });

  test('a change carries the values before; a part that did not change carries none', () => {
    const d = classifyFacts({ service: svc('8.9p1'), cert: crt('a') }, { service: svc('9.6p1'), cert: crt('a'), reportedOpen: true });
    expect(d.previousService).toEqual(svc('8.9p1'));
    expect(d.previousCert).toBeNull();
  });

  test('a table guess between two probes does not hide a change, nor invent one', () => {
    let stored = classifyFacts(null, { service: svc('1.24.0'), cert: null, reportedOpen: true }).next;
    const changes: number[] = [];
    for (const seen of [{ ...svc('0'), product: null, version: null, method: 'table' as const }, svc('1.25.3')]) {
      const d = classifyFacts(stored, { service: seen, cert: null, reportedOpen: true });
      changes.push(d.change);
      stored = d.next;
    }
    expect(changes).toEqual([0, 128]);
  });
});
