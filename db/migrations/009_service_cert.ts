// service_changed and cert_changed (docs/change-types.md): the last probed service fingerprint and
// the last certificate seen, per scanner and port, in a table of their own. Most scans carry
// neither, so port_state, which every ingest rewrites, stays as narrow as it was and a scan
// without version data never touches this table. Both are canonical JSON text
// (common/service-facts.ts), compared as strings; the certificate's expiry is a column of its own
// for `audit --cert-expiry`. The change rows carry the values before and after.
import type { Knex } from 'knex';

const CHANGE_COLUMNS = ['service', 'previous_service', 'cert', 'previous_cert'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('port_facts', (t) => {
    t.integer('scanner_id').notNullable();
    t.string('ip_key', 32).notNullable();
    t.string('ip', 45).notNullable();
    t.string('proto', 8).notNullable();
    t.integer('port').notNullable();
    t.text('service').nullable();
    t.bigInteger('service_seen').nullable();
    t.text('cert').nullable();
    t.bigInteger('cert_not_after').nullable();
    t.bigInteger('cert_seen').nullable();
    t.primary(['scanner_id', 'ip_key', 'proto', 'port']);
    t.index(['cert_not_after']);
  });
  await knex.schema.alterTable('changes', (t) => {
    for (const c of CHANGE_COLUMNS) t.text(c).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('changes', (t) => {
    for (const c of CHANGE_COLUMNS) t.dropColumn(c);
  });
  await knex.schema.dropTableIfExists('port_facts');
}
