// Migration 003: a run's claims are found by their token through an index, on both databases, not by
// reading every delivery row of every agent.
import { forEachDb } from '../helpers/db';
import { openDb, type Db } from '../../db/connection';

const LOOKUP = "SELECT change_id FROM deliveries WHERE claim_token = 'abc' AND status = 'claimed'";

forEachDb('deliveries: the claim-token index', (t) => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(t.fresh());
  });
  afterAll(() => db.close());

  test('looking up a run\'s claims by token uses deliveries_claim_token_index', async () => {
    let plan: string;
    if (t.kind === 'sqlite') {
      const rows: Array<{ detail: string }> = await db.knex.raw(`EXPLAIN QUERY PLAN ${LOOKUP}`);
      plan = rows.map((r) => r.detail).join('\n');
    } else {
      // An empty table is cheaper to scan than to index: forbid the scan to see whether the index fits.
      plan = await db.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_seqscan = off');
        const r = await trx.raw(`EXPLAIN ${LOOKUP}`);
        return (r.rows as Array<{ 'QUERY PLAN': string }>).map((x) => x['QUERY PLAN']).join('\n');
      });
    }
    expect(plan).toContain('deliveries_claim_token_index');
  });
});
