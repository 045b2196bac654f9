// Per-scanner thresholds (DESIGN §3) end to end: small uniform-CSV scans written here, one night
// apart, ingested through the spawned CLI; after each file, exactly the changes it should add.
import { forEachDb, type TestDb } from '../helpers/db';
import { port, ports, Scratch, up, type CsvScan } from '../helpers/csv-scan';
import { briefs, Session } from '../helpers/session';

const A = '10.9.0.1';
const B = '10.9.0.2';
const C = '10.9.0.3';
const D = '10.9.0.4';

const host = (ip: string, type: number) => ({ ip, proto: null, port: null, type });
const tcp = (ip: string, p: number, type: number) => ({ ip, proto: 'tcp', port: p, type });
const udp = (ip: string, p: number, type: number) => ({ ip, proto: 'udp', port: p, type });

let scratch: Scratch;
beforeEach(() => (scratch = new Scratch()));
afterEach(() => scratch.remove());

const openPorts = (s: Session) => s.state().then((rows) => rows.map((r) => `${r.ip} ${r.port}/${r.proto}`));

/** Ingests the nights one by one under scanner 't' with these settings: the changes each added, the open ports after each. */
async function nights(db: TestDb, settings: Record<string, string | number>, list: Array<string[] | Omit<CsvScan, 'started'>>) {
  const s = new Session(db.fresh(), { config: scratch.config({ t: settings }), scanner: 't' });
  const added = [];
  const open = [];
  for (const file of scratch.series(list)) {
    added.push(briefs((await s.ingest(file)).added));
    open.push(await openPorts(s));
  }
  return { s, added, open };
}

forEachDb('thresholds', (db) => {
  describe('close_after', () => {
    const flap = [[up(A), port(A, 80)], [up(A), port(A, 80, 'closed')], [up(A), port(A, 80)]];

    test('a port flapping open, closed, open under close_after 2 gives no event after the first file', async () => {
      const { added, open } = await nights(db, { close_after: 2 }, flap);
      expect(added).toEqual([[host(A, 1), tcp(A, 80, 9)], [], []]);
      expect(open).toEqual([[`${A} 80/tcp`], [`${A} 80/tcp`], [`${A} 80/tcp`]]);
    });

    test('the same flapping under close_after 1 gives port_closed, then port_reopened', async () => {
      const { added, open } = await nights(db, { close_after: 1 }, flap);
      expect(added).toEqual([[host(A, 1), tcp(A, 80, 9)], [tcp(A, 80, 16)], [tcp(A, 80, 32)]]);
      expect(open).toEqual([[`${A} 80/tcp`], [], [`${A} 80/tcp`]]);
    });

    test('close_after 2: two consecutive misses give one port_closed, on the second', async () => {
      const { added, open } = await nights(db, { close_after: 2 }, [
        [up(A), port(A, 80), port(A, 443)],
        [up(A), port(A, 443)],
        [up(A), port(A, 443)],
        [up(A), port(A, 443)],
      ]);
      expect(added).toEqual([[host(A, 1), tcp(A, 80, 9), tcp(A, 443, 9)], [], [tcp(A, 80, 16)], []]);
      expect(open.map((o) => o.length)).toEqual([2, 2, 1, 1]);
      expect(open[3]).toEqual([`${A} 443/tcp`]);
    });
  });

  test('a miss that proves nothing (incomplete scan, port or host out of scope) does not count towards close_after', async () => {
    const { added } = await nights(db, { close_after: 2 }, [
      [up(A), port(A, 80)],
      { rows: [up(A)], complete: false },
      { rows: [up(A)], ports: 'tcp:1-79;udp:53' },
      { rows: [up(B)], scope: B },
      [up(A), up(B)],
      [up(A), up(B)],
    ]);
    expect(added).toEqual([[host(A, 1), tcp(A, 80, 9)], [], [], [host(B, 1)], [], [tcp(A, 80, 16)]]);
  });

  test('a miss that proves nothing (incomplete scan, host out of scope) does not count towards down_after', async () => {
    const { added } = await nights(db, { down_after: 2 }, [
      [up(A), up(B)],
      { rows: [up(B)], complete: false },
      { rows: [up(B)], scope: B },
      [up(B)],
      [up(B)],
    ]);
    expect(added).toEqual([[host(A, 1), host(B, 1)], [], [], [], [host(A, 2)]]);
  });

  describe('open_after', () => {
    test('open_after 2: a new port is reported on its second consecutive open scan only', async () => {
      const { added, open } = await nights(db, { open_after: 2 }, [
        [up(A), port(A, 80), port(A, 443)],
        [up(A), port(A, 80)],
        [up(A), port(A, 80), port(A, 443)],
        [up(A), port(A, 80), port(A, 443)],
      ]);
      // 443's streak is broken by night 2, so it needs nights 3 and 4.
      expect(added).toEqual([[host(A, 1)], [tcp(A, 80, 8)], [], [tcp(A, 443, 8)]]);
      expect(open).toEqual([[], [`${A} 80/tcp`], [`${A} 80/tcp`], [`${A} 80/tcp`, `${A} 443/tcp`]]);
    });

    test('open_after 1 (the default) reports a port on its first open scan', async () => {
      const { added } = await nights(db, {}, [[up(A)], [up(A), port(A, 80)]]);
      expect(added).toEqual([[host(A, 1)], [tcp(A, 80, 8)]]);
    });
  });

  describe('down_after', () => {
    test('down_after 2: host_down on the second consecutive complete scan without the host', async () => {
      const { s, added } = await nights(db, { down_after: 2 }, [
        [up(A), port(A, 80), up(B)],
        [up(B)],
        [up(B)],
        [up(B)],
      ]);
      expect(added).toEqual([[host(A, 1), tcp(A, 80, 9), host(B, 1)], [], [host(A, 2), tcp(A, 80, 18)], []]);
      const hosts = await s.hosts();
      expect(hosts.map((h) => [h.ip, h.status])).toEqual([[A, 'down'], [B, 'up']]);
    });

    test('down_after 2: a host missing every other scan is never taken down', async () => {
      const { s, added } = await nights(db, { down_after: 2 }, [[up(A), up(B)], [up(B)], [up(A), up(B)], [up(B)]]);
      expect(added).toEqual([[host(A, 1), host(B, 1)], [], [], []]);
      expect((await s.hosts()).map((h) => [h.ip, h.status])).toEqual([[A, 'up'], [B, 'up']]);
    });

    test('down_after 1 takes the host down on the first miss', async () => {
      const { added } = await nights(db, {}, [[up(A), up(B)], [up(B)]]);
      expect(added).toEqual([[host(A, 1), host(B, 1)], [host(A, 2)]]);
    });
  });

  describe('open|filtered', () => {
    test('a reported-open UDP port seen as open|filtered is not closed; seen missing, it is', async () => {
      const { added, open } = await nights(db, {}, [
        [up(A), port(A, 53, 'open', 'udp')],
        [up(A), port(A, 53, 'open|filtered', 'udp')],
        [up(A)],
      ]);
      expect(added).toEqual([[host(A, 1), udp(A, 53, 9)], [], [udp(A, 53, 16)]]);
      expect(open).toEqual([[`${A} 53/udp`], [`${A} 53/udp`], []]);
    });

    test('by default open|filtered is no evidence of an open port either', async () => {
      const { added, open } = await nights(db, {}, [[up(A), port(A, 53, 'open|filtered', 'udp')]]);
      expect(added).toEqual([[host(A, 1)]]);
      expect(open).toEqual([[]]);
    });

    test('with open_filtered: open it counts as open, both ways', async () => {
      const { added, open } = await nights(db, { open_filtered: 'open' }, [
        [up(A), port(A, 53, 'open|filtered', 'udp')],
        [up(A), port(A, 53, 'open|filtered', 'udp')],
        [up(A), port(A, 53, 'closed', 'udp')],
      ]);
      expect(added).toEqual([[host(A, 1), udp(A, 53, 9)], [], [udp(A, 53, 16)]]);
      expect(open).toEqual([[`${A} 53/udp`], [`${A} 53/udp`], []]);
    });
  });

  describe('max_open_ports', () => {
    test('a known host answering on more than max_open_ports ports is one all_ports_answer change', async () => {
      const { added, open } = await nights(db, { max_open_ports: 5 }, [
        [up(A), port(A, 80)],
        [up(A), ...ports(A, 80, 89)],
      ]);
      expect(added).toEqual([[host(A, 1), tcp(A, 80, 9)], [host(A, 64)]]);
      // No per-port event, and the port it had open is not taken as closed either.
      expect(open[1]).toEqual([`${A} 80/tcp`]);
    });

    test('a new host answering on every port is one host-level change, with no port event or state', async () => {
      const { added, open } = await nights(db, { max_open_ports: 5 }, [[up(C), ...ports(C, 1, 20), up(D), ...ports(D, 1, 5)]]);
      const forC = added[0].filter((c) => c.ip === C);
      expect(forC).toHaveLength(1);
      expect(forC[0].port).toBeNull();
      expect(forC[0].type & 64).toBe(64);
      // Exactly max_open_ports is not more: D's five ports are reported one by one.
      expect(added[0].filter((c) => c.ip === D)).toEqual([host(D, 1), ...[1, 2, 3, 4, 5].map((p) => tcp(D, p, 9))]);
      expect(open[0].filter((r) => r.startsWith(`${C} `))).toEqual([]);
    });

    test('the all_ports_answer flag is raised once, not again on the next such scan', async () => {
      const { added } = await nights(db, { max_open_ports: 5 }, [
        [up(A), port(A, 80)],
        [up(A), ...ports(A, 80, 89)],
        [up(A), ...ports(A, 80, 95)],
      ]);
      expect(added.slice(1)).toEqual([[host(A, 64)], []]);
    });
  });
});
