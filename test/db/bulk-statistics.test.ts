// After a scanner's first scan loads many rows, PostgreSQL's planner gets statistics at once
// (Dialect.refreshStatistics), instead of planning the next queries for the empty tables it last
// knew; a small first scan and later nights leave that to autovacuum. SQLite's planner needs none.
import { forEachDb, withDb } from '../helpers/db';
import { cli } from '../helpers/cli';
import { csvText, night, ports, Scratch, up } from '../helpers/csv-scan';

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

/** When port_state was last analysed by a command (not by autovacuum), or null; SQLite: always null. */
async function analysedAt(url: string): Promise<string | null> {
  return withDb(url, async (db) => {
    if (!url.startsWith('postgres')) return null;
    const r = await db.knex.raw("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'port_state' AND schemaname = current_schema()");
    return (r.rows[0]?.last_analyze as Date | null)?.toISOString() ?? null;
  });
}

forEachDb('statistics after a bulk load', (tdb) => {
  test("a first scan of 1,200 open ports is analysed at once; a small scanner's first scan is not", async () => {
    const big = tdb.fresh();
    const rows = Array.from({ length: 10 }, (_, h) => [up(`10.9.0.${h + 1}`), ...ports(`10.9.0.${h + 1}`, 1, 120)]).flat();
    const r = await cli(['--db', big, 'ingest', '--scanner', 'bulk', scratch.write('big.csv', csvText({ started: night(1), rows }))]);
    expect(r.code).toBe(0);
    const small = tdb.fresh();
    const s = await cli(['--db', small, 'ingest', '--scanner', 'few', scratch.write('small.csv', csvText({ started: night(1), rows: [up('10.9.0.1'), ...ports('10.9.0.1', 20, 30)] }))]);
    expect(s.code).toBe(0);
    if (tdb.kind === 'postgres') {
      expect(await analysedAt(big)).not.toBeNull();
      expect(await analysedAt(small)).toBeNull();
    } else {
      expect(await analysedAt(big)).toBeNull();
    }
  });
});
