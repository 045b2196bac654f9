// The dashboard's overview reads counts of the whole state at every request: open ports per port,
// hosts up per scanner, changes per night. On a /12 (1 M open ports, 1.3 M changes) each read
// scanned the tables (seconds per page). These tables keep the counts instead: ingest adds each
// scan's difference inside its transaction, computed from that scan's change rows only
// (db/state-counts-repo.ts); cleanup, which deletes rows of every kind, counts them afresh.
// Existing databases are counted here once.
import type { Knex } from 'knex';
import { recountOverview } from '../state-counts-repo';

export async function up(knex: Knex): Promise<void> {
  // per scanner and port: the hosts on which it reports the port open now
  await knex.schema.createTable('open_port_counts', (t) => {
    t.integer('scanner_id').notNullable();
    t.string('proto', 8).notNullable();
    t.integer('port').notNullable();
    t.integer('hosts').notNullable();
    t.primary(['scanner_id', 'proto', 'port']);
  });
  // per scanner: the hosts it reports up now
  await knex.schema.createTable('host_up_counts', (t) => {
    t.integer('scanner_id').notNullable().primary();
    t.integer('hosts').notNullable();
  });
  // per scan: its change rows per UTC day (detected_at / 86400000) and stored type mask
  await knex.schema.createTable('change_day_counts', (t) => {
    t.integer('scan_id').notNullable();
    t.integer('scanner_id').notNullable();
    t.integer('day').notNullable();
    t.integer('type').notNullable();
    t.integer('n').notNullable();
    t.primary(['scan_id', 'day', 'type']);
    t.index(['scanner_id']);
  });
  // the Port page's hosts of one port: proto and port are never updated, so PostgreSQL's updates
  // of the state stay HOT and SQLite's leave this index alone; only new rows add to it
  await knex.schema.alterTable('port_state', (t) => t.index(['proto', 'port'], 'port_state_proto_port_index'));
  await recountOverview(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('port_state', (t) => t.dropIndex(['proto', 'port'], 'port_state_proto_port_index'));
  for (const t of ['change_day_counts', 'host_up_counts', 'open_port_counts']) await knex.schema.dropTableIfExists(t);
}
