// Every case of the classifier's table (test/helpers/classify-table.ts) through a real ingest: the
// SQL fast paths (first sightings, unchanged rows) and the classifier's walks must store exactly
// the change the classifier answers. Each case gets its own host; a case's scans first bring its
// host (or port) to the table's previous state, checked as stored, then the last scan says what
// the case's scan says. Cases whose scans have the same settings share a scanner.
import { Readable } from 'node:stream';
import { forEachDb } from '../helpers/db';
import { csvText, night, port, up } from '../helpers/csv-scan';
import { HOST_MISSING_CASES, HOST_UP_CASES, MAX_OPEN_PORTS, OPEN_COUNT, PORT_CASES, T1, T2 } from '../helpers/classify-table';
import { classifyHostMissing, classifyHostUp, classifyPort, type HostPrev, type PortPrev, type Thresholds } from '../../delta-reporter/classify';
import { ingestStream } from '../../delta-reporter/ingest';
import { openDb, type Db } from '../../db/connection';
import { scannerSchema } from '../../common/scanner-config';
import { FACTS_CASES } from '../helpers/classify-table';
import { COMBINED, FACT_EXPECTED, FACT_STEPS, runFactCases, type FactsStored } from '../helpers/facts-through-ingest';

/** What a scan is, apart from its rows: the scanner's thresholds then, and its header. */
interface Settings {
  t: Thresholds;
  dns: boolean;
  complete?: boolean;
  ports?: string;
}
const N: Settings = { t: T1, dns: true };
const NO_DNS: Settings = { t: T1, dns: false };
const INCOMPLETE: Settings = { t: T1, dns: true, complete: false };
const NOT_PORT_80: Settings = { t: T1, dns: true, ports: 'tcp:1-79;udp:53' };
const N2: Settings = { t: T2, dns: true };

/** One scan of a case: its settings and the rows it holds for the case's address. */
type Step = [Settings, (ip: string) => string[]];
const none = (): string[] => [];
const named = (name: string) => (ip: string) => [up(ip, name)];
const bare = (ip: string) => [up(ip)];
const with80 = (state = 'open') => (ip: string) => [up(ip), port(ip, 80, state)];

const HOST_UP: Record<string, Step[]> = {
  'never seen': [[N, none], [N, named('a.test')]],
  'known up, same name': [[N, named('a.test')], [N, named('a.test')]],
  'known up, renamed': [[N, named('a.test')], [N, named('b.test')]],
  'known up, name disappeared': [[N, named('a.test')], [N, bare]],
  'known up without a name, name appeared': [[N, bare], [N, named('a.test')]],
  'known up, scan did not resolve names': [[N, named('a.test')], [NO_DNS, bare]],
  'names never resolved before': [[NO_DNS, bare], [N, named('a.test')]],
  'back after host_down': [[N, named('a.test')], [N, none], [N, named('a.test')]],
  'back after host_down with a new name': [[N, named('a.test')], [N, none], [N, named('b.test')]],
};

const HOST_MISSING: Record<string, Step[]> = {
  'in scope, complete, down_after 1': [[N, named('a.test')], [N, none]],
  'no evidence (incomplete, out of scope, timed out)': [[N, named('a.test')], [INCOMPLETE, none]],
  'first miss under down_after 2': [[N, named('a.test')], [N2, none]],
  'second miss under down_after 2': [[N, named('a.test')], [N2, none], [N2, none]],
  'already down': [[N, named('a.test')], [N, none], [N, none]],
};

const PORTS: Record<string, Step[]> = {
  'new port': [[N, bare], [N, with80()]],
  'new port of a new host': [[N, none], [N, with80()]],
  'still open': [[N, with80()], [N, with80()]],
  're-opened': [[N, with80()], [N, bare], [N, with80()]],
  're-opened on a returning host': [[N, with80()], [N, none], [N, with80()]],
  closed: [[N, with80()], [N, bare]],
  'closed with its host': [[N, with80()], [N, none]],
  'first sighting under open_after 2': [[N, bare], [N2, with80()]],
  'second sighting under open_after 2': [[N, bare], [N2, with80()], [N2, with80()]],
  'first miss under close_after 2': [[N, with80()], [N2, bare]],
  'second miss under close_after 2': [[N, with80()], [N2, bare], [N2, bare]],
  'open|filtered is no evidence': [[N, with80()], [N, with80('open|filtered')]],
  'out of scope is no evidence': [[N, with80()], [NOT_PORT_80, bare]],
  'already closed stays closed silently': [[N, with80()], [N, bare], [N, bare]],
};

/** What the database holds for a case: its state before the last scan, and the change that scan stored. */
interface Stored {
  prev: HostPrev | PortPrev | null;
  /** The change's type; for hosts also whether it returned and its previous name (a port's `returning` is its host's). */
  change: { type: number; returning?: boolean; previous?: string | null };
  /** A port case's stored verdict after the last scan. */
  reported?: PortPrev['reported'];
}

interface Case {
  id: string;
  kind: 'host' | 'port';
  steps: Step[];
  /** The thresholds the table judges the case with (host-up cases: none). */
  t?: Thresholds;
  /** The classifier's answer, and what it leaves stored. */
  expected: Stored;
}

const noChange = { returning: false, previous: null };

function cases(): Case[] {
  const out: Case[] = [];
  for (const c of HOST_UP_CASES) {
    const d = classifyHostUp(c.prev, { ptr: c.ptr, resolvesNames: c.resolves, openCount: OPEN_COUNT }, MAX_OPEN_PORTS);
    out.push({ id: `host up: ${c.title}`, kind: 'host', steps: HOST_UP[c.title], expected: { prev: c.prev, change: { type: d.change, returning: d.returning, previous: d.previousHostname } } });
  }
  for (const c of HOST_MISSING_CASES) {
    const d = classifyHostMissing(c.prev, c.evidence, c.t);
    out.push({ id: `host missing: ${c.title}`, kind: 'host', steps: HOST_MISSING[c.title], t: c.t, expected: { prev: c.prev, change: { type: d.change, ...noChange } } });
  }
  for (const c of PORT_CASES) {
    const d = classifyPort(c.prev, c.seen, c.hostIsNew, c.t);
    out.push({
      id: `port: ${c.title}`, kind: 'port', steps: PORTS[c.title], t: c.t,
      expected: { prev: c.prev, change: { type: d.change }, reported: (d.next ?? c.prev)?.reported },
    });
  }
  return out;
}

const hostPrev = (r: Record<string, unknown> | undefined): HostPrev | null =>
  r === undefined
    ? null
    : { status: r.status as HostPrev['status'], hostname: (r.hostname as string | null) ?? null, namesKnown: !!Number(r.names_known), missStreak: Number(r.miss_streak), everDown: !!Number(r.ever_down), allPorts: !!Number(r.all_ports) };
const portPrev = (r: Record<string, unknown> | undefined): PortPrev | null =>
  r === undefined ? null : { reported: (r.reported as PortPrev['reported']) ?? null, openStreak: Number(r.open_streak), missStreak: Number(r.miss_streak) };

async function stateOf(db: Db, c: Case, scanner: string, ip: string): Promise<{ host?: Record<string, unknown>; port?: Record<string, unknown> }> {
  const scannerId = (await db.knex('scanners').where({ name: scanner }).first('id'))?.id;
  const host = await db.knex('host_state').where({ scanner_id: scannerId ?? -1, ip }).first();
  const port = c.kind === 'port' ? await db.knex('port_state').where({ scanner_id: scannerId ?? -1, ip, proto: 'tcp', port: 80 }).first() : undefined;
  return { host, port };
}

async function ingest(db: Db, scanner: string, s: Settings, n: number, rows: string[]): Promise<number> {
  const text = csvText({ started: night(n), rows, complete: s.complete, ports: s.ports, dns: s.dns });
  const thresholds = { open_after: s.t.openAfter, close_after: s.t.closeAfter, down_after: s.t.downAfter, max_open_ports: MAX_OPEN_PORTS };
  const scanners = { [scanner]: scannerSchema.parse(thresholds) };
  const summary = await ingestStream(db, Buffer.from(text), Readable.from([]), { source: `${scanner}-${n}.csv`, scanner, scanners });
  expect(summary.status).toBe('applied');
  return summary.scan_id;
}

/** Runs the cases, grouped into one scanner per sequence of settings; returns what each stored. */
async function runAll(db: Db, all: Case[]): Promise<Map<string, Stored>> {
  const groups = new Map<string, Case[]>();
  for (const c of all) {
    const key = JSON.stringify(c.steps.map(([s]) => s));
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const stored = new Map<string, Stored>();
  let g = 0;
  for (const group of groups.values()) {
    const scanner = `s${++g}`;
    const ipOf = (i: number) => `10.9.0.${i + 1}`;
    const steps = group[0].steps;
    const prev = new Map<string, Stored['prev']>();
    let scanId = 0;
    for (let n = 0; n < steps.length; n++) {
      if (n === steps.length - 1) {
        for (const [i, c] of group.entries()) {
          const s = await stateOf(db, c, scanner, ipOf(i));
          prev.set(c.id, c.kind === 'host' ? hostPrev(s.host) : portPrev(s.port));
        }
      }
      scanId = await ingest(db, scanner, steps[n][0], n + 1, group.flatMap((c, i) => c.steps[n][1](ipOf(i))));
    }
    for (const [i, c] of group.entries()) {
      const q = db.knex('changes').where({ scan_id: scanId, ip: ipOf(i) });
      const row = await (c.kind === 'host' ? q.whereNull('port') : q.where({ proto: 'tcp', port: 80 })).first();
      const change = c.kind === 'port'
        ? { type: Number(row?.type ?? 0) }
        : row ? { type: Number(row.type), returning: !!Number(row.returning), previous: row.previous_hostname ?? null } : { type: 0, ...noChange };
      const after = c.kind === 'port' ? { reported: portPrev((await stateOf(db, c, scanner, ipOf(i))).port)?.reported } : {};
      stored.set(c.id, { prev: prev.get(c.id)!, change, ...after });
    }
  }
  return stored;
}

const ALL = cases();

test('every case of the classifier\'s table has scans that lead to it, judged with the table\'s thresholds', () => {
  expect(Object.keys(HOST_UP).sort()).toEqual(HOST_UP_CASES.map((c) => c.title).sort());
  expect(Object.keys(HOST_MISSING).sort()).toEqual(HOST_MISSING_CASES.map((c) => c.title).sort());
  expect(Object.keys(PORTS).sort()).toEqual(PORT_CASES.map((c) => c.title).sort());
  expect(Object.keys(FACT_STEPS).sort()).toEqual(FACTS_CASES.map((c) => c.title).sort());
  for (const c of ALL) if (c.t) expect([c.id, c.steps[c.steps.length - 1][0].t]).toEqual([c.id, c.t]);
});

forEachDb('the classifier\'s table through a real ingest', (t) => {
  let db: Db;
  let stored: Map<string, Stored>;
  beforeAll(async () => {
    db = await openDb(t.fresh());
    stored = await runAll(db, ALL);
  });
  afterAll(() => db?.close());

  test.each(ALL.map((c) => [c.id, c] as const))('%s: the stored change is the classifier\'s', (_id, c) => {
    expect(stored.get(c.id)).toEqual(c.expected);
  });
});

forEachDb('service fingerprints and certificates through a real ingest of nmap XML', (t) => {
  let db: Db;
  let stored: Map<string, FactsStored>;
  beforeAll(async () => {
    db = await openDb(t.fresh());
    stored = await runFactCases(db, [...Object.entries(FACT_STEPS).map(([title, steps]) => ({ title, steps })), ...COMBINED]);
  });
  afterAll(() => db?.close());

  test.each(FACTS_CASES.map((c) => [c.title] as const))('%s: the stored change and facts are the classifier\'s', (title) => {
    expect(stored.get(title)).toEqual(FACT_EXPECTED.get(title));
  });

  test.each(COMBINED.map((c) => [c.title, c.change] as const))('%s: one change row with both flags (%i)', (title, change) => {
    expect(stored.get(title)?.change).toBe(change);
  });
});
