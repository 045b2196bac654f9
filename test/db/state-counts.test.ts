// The counts kept for the overview (db/state-counts-repo.ts) are exact: after every ingest of the
// lab's six nights by two scanners (one with thresholds above 1), and after cleanups of an address,
// a range of one scanner and of everything older than a date, they equal a recount from the rows;
// and the overview's queries give from them what the rows give.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { forEachDb, withDb } from '../helpers/db';
import { cliJson } from '../helpers/cli';
import { labFiles } from '../helpers/inbox';
import { recountAll, storedCounts } from '../../db/state-counts-repo';
import { changesPerDay, stateCounts, topPorts } from '../../db/dashboard-repo';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-counts-'));
const CONFIG = path.join(dir, 'portdelta.yaml');
fs.writeFileSync(CONFIG, 'scanners:\n  scan-in:\n    open_after: 2\n    close_after: 2\n  scan-out:\n    timezone: UTC\n');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The stored counts and a recount from the rows (rolled back). */
async function storedAndRecounted(knex: Knex): Promise<[Awaited<ReturnType<typeof storedCounts>>, Awaited<ReturnType<typeof storedCounts>>]> {
  const stored = await storedCounts(knex);
  const trx = await knex.transaction();
  try {
    await recountAll(trx);
    return [stored, await storedCounts(trx)];
  } finally {
    await trx.rollback();
  }
}

async function expectExact(url: string, when: string): Promise<void> {
  await withDb(url, async ({ knex }) => {
    const [stored, recounted] = await storedAndRecounted(knex);
    expect({ when, ...stored }).toEqual({ when, ...recounted });
  });
}

/** Every address (state rows have a non-empty ip_key): the same scope through the rows instead of the counts. */
const ALL = [{ lo: '0', hi: 'zzzz' }];

forEachDb('the counts kept for the overview', (db) => {
  test('equal a recount after each ingest and each cleanup', async () => {
    const url = db.fresh();
    const files = labFiles();
    for (const f of files) {
      await cliJson(['--db', url, '--config', CONFIG, 'ingest', '--scanner', f.scanner, f.source]);
      await expectExact(url, `after ${f.scanner} ${f.name}`);
    }
    await withDb(url, async ({ knex }) => {
      const c = await storedCounts(knex);
      expect(c.ports.length).toBeGreaterThan(5);
      expect(c.hosts).toHaveLength(2);
      expect(c.days.length).toBeGreaterThan(5);
    });
    for (const args of [['--ip', '10.66.1.10'], ['--range', '10.66.1.14-17', '--scanner', 'scan-out'], ['--older-than', '2025-03-07T12:00:00Z']]) {
      await cliJson(['--db', url, 'cleanup', ...args]);
      await expectExact(url, `after cleanup ${args.join(' ')}`);
    }
  }, 120_000);

  test('give the overview what the rows give', async () => {
    const url = db.fresh();
    for (const f of labFiles()) await cliJson(['--db', url, '--config', CONFIG, 'ingest', '--scanner', f.scanner, f.source]);
    await withDb(url, async ({ knex }) => {
      expect(await stateCounts(knex, {})).toEqual(await stateCounts(knex, { networks: ALL }));
      for (const scanner of ['scan-in', 'scan-out']) {
        expect(await stateCounts(knex, { scanner })).toEqual(await stateCounts(knex, { scanner, networks: ALL }));
        expect(await topPorts(knex, { scanner }, 10)).toEqual(await topPorts(knex, { scanner, networks: ALL }, 10));
      }
      // two scanners see some ports: the bounds of the kept counts, then the state for the close ones
      for (const n of [1, 3, 10, 40]) expect(await topPorts(knex, {}, n)).toEqual(await topPorts(knex, { networks: ALL }, n));
      const perDay = await changesPerDay(knex, {});
      const rows = await knex('changes').select(knex.raw('detected_at / 86400000 AS day'), 'type', knex.raw('COUNT(*) AS n')).groupByRaw('detected_at / 86400000, type');
      const key = (r: { day: unknown; type: unknown; n: unknown }) => `${Math.floor(Number(r.day))} ${Number(r.type)} ${Number(r.n)}`;
      expect(perDay.map(key).sort()).toEqual(rows.map(key).sort());
      expect(perDay.length).toBeGreaterThan(5);
    });
  }, 120_000);
});
