// Epoch milliseconds are bigint columns; both databases must hand them back as JS numbers (pg
// reads bigint as a string unless told otherwise: db/dialects/postgres.ts sets it per connection,
// so every connection of the pool reads them so, the first and any later one).
import { forEachDb, withDb } from '../helpers/db';
import { rowsOf } from '../../db/rows';

forEachDb('epoch columns', (tdb) => {
  test('come back as numbers, exact, on every connection', async () => {
    await withDb(tdb.fresh(), async (db) => {
      const read = async (q: { raw: typeof db.knex.raw }): Promise<unknown> => rowsOf<{ v: unknown }>(await q.raw('SELECT CAST(? AS bigint) AS v', [1765000000123]))[0].v;
      expect(await read(db.knex)).toBe(1765000000123);
      // Two transactions at once hold two connections (PostgreSQL's pool; SQLite's has one).
      if (tdb.kind === 'postgres') {
        const values = await Promise.all([0, 1].map(() => db.knex.transaction((trx) => read(trx))));
        expect(values).toEqual([1765000000123, 1765000000123]);
      }
    });
  });
});
