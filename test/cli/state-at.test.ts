// `state --at T` and `hosts --at T`: after a series of scans, asking for the moment of each scan
// gives what `state` and `hosts` said right after that scan was ingested — on the lab-a nights
// (default thresholds, TCP and UDP scans of each scanner, one truncated file) and on a series under
// open_after/close_after/down_after 2, on SQLite and PostgreSQL; and after `cleanup` of old changes.
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliJson, SCANS } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { port, Scratch, up } from '../helpers/csv-scan';

type Row = Record<string, unknown>;
interface Moment { at: string; state: Row[]; hosts: Row[] }

const LAB = path.join(SCANS, 'lab-a');
/** What --at must always give exactly: which ports were open and hosts up, under which name, since when. */
const CORE = ['scanner', 'ip', 'proto', 'port', 'status', 'hostname', 'first_seen', 'open_ports', 'mac'];

/**
 * The nmap files of one night of one scanner (TCP at 02:00 before UDP at 02:45), with --scanner.
 * masscan files record no port scope, so the last_seen of --at could not count them (docs/cli.md).
 */
function labNight(n: number, scanner: string): string[] {
  const dir = path.join(LAB, `night${n}`, scanner);
  return ['--scanner', scanner, ...fs.readdirSync(dir).filter((f) => /^nmap-.*\.xml$/.test(f)).sort().map((f) => path.join(dir, f))];
}
// A night's scans of both scanners, then the moment: every scan of a night precedes the next night's.
const LAB_NIGHTS = [1, 2, 3, 4, 5, 6].map((n) => [labNight(n, 'scan-in'), labNight(n, 'scan-out')]);

/** Ingests each group (one or more ingest commands' arguments), and after each notes the newest scan time and what state and hosts say. */
async function record(db: string, groups: string[][][], extra: string[] = []): Promise<Moment[]> {
  const out: Moment[] = [];
  for (const group of groups) {
    const times: string[] = [];
    for (const args of group) {
      const sums = await cliJson<Array<{ started_at: string | null }>>(['--db', db, ...extra, 'ingest', ...args]);
      times.push(...sums.map((x) => x.started_at!));
    }
    const at = times.sort().pop()!;
    out.push({ at, state: await cliJson<Row[]>(['--db', db, 'state']), hosts: await cliJson<Row[]>(['--db', db, 'hosts']) });
  }
  return out;
}

async function expectSame(db: string, moments: Moment[], fields?: string[]): Promise<void> {
  const pick = (rows: Row[]) => (fields ? rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k)))) : rows);
  for (const m of moments) {
    expect({ at: m.at, state: pick(await cliJson<Row[]>(['--db', db, 'state', '--at', m.at])) }).toEqual({ at: m.at, state: pick(m.state) });
    expect({ at: m.at, hosts: pick(await cliJson<Row[]>(['--db', db, 'hosts', '--at', m.at])) }).toEqual({ at: m.at, hosts: pick(m.hosts) });
  }
}

forEachDb('state --at and hosts --at', (tdb) => {
  test('each lab-a night: --at its time gives the open ports and hosts state and hosts gave right after it', async () => {
    const db = tdb.fresh();
    const moments = await record(db, LAB_NIGHTS);
    expect(moments.map((m) => m.state.length).some((n, i, a) => n !== a[0])).toBe(true); // the nights differ
    // night 4 of scan-out is cut short: what it listed is not counted in last_seen at T (docs/cli.md)
    await expectSame(db, moments, CORE);
  }, 120_000);

  test('scan-in\'s lab-a nights (all complete, default thresholds): every field, last_seen and last_change too', async () => {
    const db = tdb.fresh();
    const moments = await record(db, LAB_NIGHTS.map((n) => [n[0]]));
    // service and certificate are not worked back (docs/cli.md): null at every past moment
    const past = await cliJson<Row[]>(['--db', db, 'state', '--at', moments[2].at]);
    expect(past.length).toBeGreaterThan(5);
    expect(past.every((r) => r.service === null && r.cert === null)).toBe(true);
    const unknown = (rows: Row[]) => rows.map((r) => ({ ...r, service: null, cert: null }));
    await expectSame(db, moments.map((m) => ({ ...m, state: unknown(m.state) })));
  }, 120_000);

  test('under open_after, close_after and down_after 2: --at follows what was reported, not what was seen', async () => {
    const s = new Scratch();
    const config = s.config({ lab: { open_after: 2, close_after: 2, down_after: 2 } });
    const files = s.series([
      [up('10.9.0.1', 'a.example'), port('10.9.0.1', 22), up('10.9.0.2'), port('10.9.0.2', 80)],
      [up('10.9.0.1', 'a.example'), port('10.9.0.1', 22), port('10.9.0.1', 443), up('10.9.0.2'), port('10.9.0.2', 80)],
      [up('10.9.0.1', 'b.example'), port('10.9.0.1', 443), up('10.9.0.2')],
      [up('10.9.0.1', 'b.example'), port('10.9.0.1', 443), port('10.9.0.1', 22)],
      [up('10.9.0.1', 'b.example'), port('10.9.0.1', 443)],
      [up('10.9.0.1', 'b.example')],
    ], { scanner: 'lab' });
    const db = tdb.fresh();
    const moments = await record(db, files.map((f) => [[f]]), ['--config', config]);
    // last_seen and last_change at T are those of the latest scan up to T that covered the key: a
    // scan that missed it within close_after/down_after is taken for one that saw it (docs/cli.md)
    await expectSame(db, moments, CORE);
    // before the first scan there was nothing
    expect(await cliJson(['--db', db, 'state', '--at', '2025-01-01'])).toEqual([]);
    expect((await cli(['--db', db, 'hosts', '--at', '2025-01-01'])).stdout).toContain('no hosts recorded at 2025-01-01');
  });

  test('after cleanup of the changes before night 5, --at nights 5 and 6 still give the open ports and hosts of then', async () => {
    const db = tdb.fresh();
    const moments = await record(db, LAB_NIGHTS);
    const cutoff = new Date(Date.parse(moments[4].at) - 3600_000).toISOString();
    expect((await cli(['--db', db, 'cleanup', '--older-than', cutoff])).code).toBe(0);
    await expectSame(db, moments.slice(4), ['scanner', 'ip', 'proto', 'port', 'status', 'hostname', 'open_ports']);
  }, 120_000);

  test('--at takes a duration back from now, and refuses what is neither', async () => {
    const db = tdb.fresh();
    await record(db, [[labNight(1, 'scan-in')]]);
    expect(await cliJson(['--db', db, 'state', '--at', '1d'])).toEqual(await cliJson(['--db', db, 'state']));
    const bad = await cli(['--db', db, 'state', '--at', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--at');
  });
});
