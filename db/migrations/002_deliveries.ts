// Deliveries: which output agent has taken which change (DESIGN §4). One row per (agent, change).
// A row is first 'claimed' with a lease (so two report runs never send the same change), then
// 'delivered', 'suppressed' (a target-group duplicate dropped) or removed again when the send fails.
// The equivalence key (ip_key, proto, port, type) and detected_at are copied from the change so a
// target group's duplicate check is one indexed lookup in this table alone.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('deliveries', (t) => {
    t.increments('id').primary();
    t.string('agent', 200).notNullable();
    t.integer('change_id').notNullable();
    t.string('target_group', 200).nullable();
    t.string('ip_key', 32).notNullable();
    t.string('proto', 8).nullable();
    t.integer('port').nullable();
    t.integer('type').notNullable();
    t.bigInteger('detected_at').notNullable();
    t.string('status', 12).notNullable(); // claimed | delivered | suppressed
    t.string('claim_token', 64).nullable();
    t.bigInteger('lease_until').nullable();
    t.integer('confirms_change_id').nullable(); // duplicates: confirm — the change this one repeats
    t.bigInteger('delivered_at').nullable();
    t.unique(['agent', 'change_id']);
    t.index(['change_id']);
    t.index(['target_group', 'ip_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('deliveries');
}
