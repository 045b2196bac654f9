// Scanner health (docs/operations.md): the scanner events' details, the silence periods, and the
// files that failed. Scanner events have no address: they are stored with ip and ip_key '' (shown as
// null) rather than making the columns nullable, which on SQLite would rebuild the changes and
// deliveries tables, the two largest, on upgrade; '' never falls inside a network's key range.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('changes', (t) => {
    t.text('details').nullable(); // JSON, scanner events only
  });
  await knex.schema.createTable('scanner_silences', (t) => {
    t.increments('id').primary();
    t.integer('scanner_id').notNullable();
    // The moment the silence began (last applied complete scan + expect_every): the same for every
    // run that notices it, so the unique key makes one event per silence period whoever writes first.
    t.bigInteger('since').notNullable();
    t.integer('change_id').nullable();
    t.integer('back_scan_id').nullable();
    t.unique(['scanner_id', 'since']);
  });
  await knex.schema.createTable('scan_failures', (t) => {
    t.increments('id').primary();
    t.string('scanner', 200).notNullable();
    t.string('source', 1000).notNullable();
    t.text('reason').notNullable();
    t.bigInteger('failed_at').notNullable();
    t.index(['scanner', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('scan_failures');
  await knex.schema.dropTableIfExists('scanner_silences');
  await knex.schema.alterTable('changes', (t) => t.dropColumn('details'));
}
