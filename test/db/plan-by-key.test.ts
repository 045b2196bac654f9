// Dialect.byKey: one statement of an ingest planned with lookups by key allowed, while the rest of
// the transaction stays planned for bulk work (planForBulk). It returns the statement's result, and
// a statement that fails rejects with its own error, not with one of the planner switch.
import { forEachDb, withDb } from '../helpers/db';

forEachDb('planning one statement by key', (tdb) => {
  test('gives the result back and restores bulk planning after it', async () => {
    await withDb(tdb.fresh(), async (db) => {
      await db.knex.transaction(async (trx) => {
        await db.dialect.planForBulk(trx);
        const nestloop = async (): Promise<string | null> => {
          if (tdb.kind !== 'postgres') return null;
          const r = await trx.raw('SHOW enable_nestloop');
          return r.rows[0].enable_nestloop as string;
        };
        const bulk = await nestloop();
        const inside = await db.dialect.byKey(trx, async () => ({ n: 42, plan: await nestloop() }));
        expect(inside.n).toBe(42);
        if (tdb.kind === 'postgres') {
          expect([bulk, inside.plan, await nestloop()]).toEqual(['off', 'on', 'off']);
        } else {
          expect([bulk, inside.plan]).toEqual([null, null]);
        }
      });
    });
  });

  test('a failing statement rejects with its own error', async () => {
    await withDb(tdb.fresh(), async (db) => {
      const run = db.knex.transaction(async (trx) => {
        await db.dialect.planForBulk(trx);
        await db.dialect.byKey(trx, () => trx.raw('SELECT * FROM no_such_table_here'));
      });
      await expect(run).rejects.toThrow(/no_such_table_here/);
    });
  });
});
