// A scanner's first applied scan is its baseline: everything it finds is "new" only because
// portdelta had not looked before. Its changes are kept (state, history, `changes`) but marked, so
// output agents can deliver them as one summary per scanner (DESIGN §3).
// `deliveries.unlisted` marks the changes a report counted but did not list (max_listed), so
// `portdelta changes --report RUN --unlisted` shows exactly those.
// Existing databases: the changes of each scanner's first applied scan (its lowest scan id with
// status applied) are marked too. Deliveries already made stay as they are; an agent that has not
// yet delivered them gets the summary.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('changes', (t) => t.integer('baseline').notNullable().defaultTo(0));
  await knex.schema.alterTable('deliveries', (t) => t.integer('unlisted').notNullable().defaultTo(0));
  await knex.raw(
    `UPDATE changes SET baseline = 1
      WHERE scan_id IN (SELECT MIN(id) FROM scans WHERE status = 'applied' GROUP BY scanner_id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => t.dropColumn('unlisted'));
  await knex.schema.alterTable('changes', (t) => t.dropColumn('baseline'));
}
