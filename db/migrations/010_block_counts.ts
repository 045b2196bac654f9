// The map of a /16 counts, per /24, the hosts up and the open ports: on a /12 that read 60,000
// state rows per request (0.2 s on SQLite, up to 0.7 s on PostgreSQL). Kept per scanner and /24
// (the first 30 hex digits of the address key) like the other counts of migration 007: ingest adds
// each scan's difference from its change rows, cleanup recounts (db/state-counts-repo.ts).
import type { Knex } from 'knex';
import { recountBlocks } from '../state-counts-repo';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('block_counts', (t) => {
    t.integer('scanner_id').notNullable();
    t.string('block', 30).notNullable();
    t.integer('hosts').notNullable();
    t.integer('ports').notNullable();
    t.primary(['scanner_id', 'block']);
  });
  await recountBlocks(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('block_counts');
}
