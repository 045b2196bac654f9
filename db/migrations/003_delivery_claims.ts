// Finding a run's claims by token (mark delivered, renew the lease, apply the claim's decisions) was a
// scan of every delivery row of every agent, and that table grows with changes × agents. Only rows
// that are still claimed are looked up by token, so PostgreSQL indexes just those (a partial index).
// SQLite gets a plain index: its planner proves a partial index usable only from literal terms,
// and knex binds the status of the token queries as a parameter.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw("CREATE INDEX deliveries_claim_token_index ON deliveries (claim_token) WHERE status = 'claimed'");
  } else {
    await knex.schema.alterTable('deliveries', (t) => t.index(['claim_token'], 'deliveries_claim_token_index'));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => t.dropIndex(['claim_token'], 'deliveries_claim_token_index'));
}
