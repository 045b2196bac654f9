// The whole schema: scanners, scans with their scope, per-scanner state and changes. (A scan's
// staging tables are temporary, made per ingest: db/staging.ts.)
// Times are epoch milliseconds (bigint) and flags are 0/1 integers so every statement is the same
// on SQLite and PostgreSQL.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await createScanners(knex);
  await createScans(knex);
  await createState(knex);
  await createChanges(knex);
}

async function createScanners(knex: Knex): Promise<void> {
  await knex.schema.createTable('scanners', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable().unique();
    t.string('group_name', 200).nullable();
    t.bigInteger('created_at').notNullable();
  });
}

/** Scans with the host and port ranges each one covered. */
async function createScans(knex: Knex): Promise<void> {
  await knex.schema.createTable('scans', (t) => {
    t.increments('id').primary();
    t.integer('scanner_id').notNullable().references('scanners.id');
    t.string('source', 1000).notNullable();
    t.string('format', 40).notNullable();
    t.string('tool', 40).nullable();
    t.string('tool_version', 40).nullable();
    t.text('args').nullable();
    t.string('sha256', 64).notNullable();
    t.bigInteger('started_at').nullable();
    t.bigInteger('finished_at').nullable();
    t.integer('complete').notNullable();
    t.string('status', 20).notNullable(); // applying | applied | stale
    t.integer('resolves_names').notNullable();
    t.string('timezone', 64).nullable();
    t.string('host_scope_source', 200).nullable();
    t.string('port_scope_source', 200).nullable();
    t.integer('hosts_up').notNullable().defaultTo(0);
    t.integer('ports_open').notNullable().defaultTo(0);
    t.integer('change_count').notNullable().defaultTo(0);
    t.text('warnings').nullable();
    t.bigInteger('ingested_at').notNullable();
    t.unique(['scanner_id', 'sha256']);
    t.index(['scanner_id', 'status', 'started_at']);
  });
  await knex.schema.createTable('scan_host_scope', (t) => {
    t.integer('scan_id').notNullable();
    t.string('lo', 32).notNullable();
    t.string('hi', 32).notNullable();
    t.index(['scan_id', 'lo', 'hi']);
  });
  await knex.schema.createTable('scan_port_scope', (t) => {
    t.integer('scan_id').notNullable();
    t.string('proto', 8).notNullable();
    t.integer('lo').notNullable();
    t.integer('hi').notNullable();
    t.index(['scan_id', 'proto', 'lo']);
  });
}

/** What each scanner last knew of each host and port. */
async function createState(knex: Knex): Promise<void> {
  await knex.schema.createTable('host_state', (t) => {
    t.integer('scanner_id').notNullable();
    t.string('ip_key', 32).notNullable();
    t.string('ip', 45).notNullable();
    t.string('status', 8).notNullable(); // up | down
    t.string('hostname', 255).nullable();
    t.integer('names_known').notNullable();
    t.string('mac', 32).nullable();
    t.bigInteger('first_seen').notNullable();
    t.bigInteger('last_seen').notNullable();
    t.integer('miss_streak').notNullable();
    t.integer('ever_down').notNullable();
    t.integer('all_ports').notNullable();
    t.integer('last_change').notNullable();
    t.integer('last_scan_id').notNullable(); // the last scan that saw it up
    t.integer('change_scan_id').notNullable(); // the scan that set last_change
    // No index on the columns every ingest rewrites (status, last_scan_id, …): on PostgreSQL it
    // would make each of those updates a non-HOT one that also rewrites the index.
    t.primary(['scanner_id', 'ip_key']);
  });
  await knex.schema.createTable('port_state', (t) => {
    t.integer('scanner_id').notNullable();
    t.string('ip_key', 32).notNullable();
    t.string('ip', 45).notNullable();
    t.string('proto', 8).notNullable();
    t.integer('port').notNullable();
    t.string('reported', 8).nullable(); // null (never reported) | open | closed
    t.integer('open_streak').notNullable();
    t.integer('miss_streak').notNullable();
    t.string('service', 100).nullable();
    t.bigInteger('first_seen').notNullable();
    t.bigInteger('last_seen').notNullable();
    t.integer('last_change').notNullable();
    t.integer('last_scan_id').notNullable();
    t.primary(['scanner_id', 'ip_key', 'proto', 'port']);
  });
  if (knex.client.config.client === 'pg') {
    // Every ingest rewrites most state rows; free room in each page lets PostgreSQL update them in
    // place (HOT) instead of writing new tuples and index entries elsewhere.
    await knex.raw('ALTER TABLE host_state SET (fillfactor = 70)');
    await knex.raw('ALTER TABLE port_state SET (fillfactor = 70)');
  }
}

async function createChanges(knex: Knex): Promise<void> {
  await knex.schema.createTable('changes', (t) => {
    t.increments('id').primary();
    t.integer('scanner_id').notNullable();
    t.integer('scan_id').notNullable();
    t.string('ip_key', 32).notNullable();
    t.string('ip', 45).notNullable();
    t.string('proto', 8).nullable();
    t.integer('port').nullable();
    t.integer('type').notNullable();
    t.string('hostname', 255).nullable();
    t.string('previous_hostname', 255).nullable();
    t.integer('returning').notNullable();
    t.bigInteger('detected_at').notNullable();
    t.index(['scanner_id', 'id']);
    t.index(['ip_key']);
    t.index(['detected_at']);
    t.index(['scan_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['changes', 'port_state', 'host_state', 'scan_port_scope', 'scan_host_scope', 'scans', 'scanners']) {
    await knex.schema.dropTableIfExists(t);
  }
}
