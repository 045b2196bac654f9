// The Port page lists one port's hosts in address order, a page at a time. Migration 007's index
// on (proto, port) found the port's rows but not in address order, and every row's `reported` had
// to be read from the table: a popular port on a /12 was sorted whole for each page (0.7 s on
// PostgreSQL). This index holds only the open rows, in address order, so a page is its first rows.
// `reported` changes only when a port opens or closes, so the nightly updates of unchanged rows
// leave the index alone (and stay HOT on PostgreSQL).
import type { Knex } from 'knex';

const NAME = 'port_state_open_port_index';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('port_state', (t) => {
    t.dropIndex(['proto', 'port'], 'port_state_proto_port_index');
    t.index(['proto', 'port', 'ip_key'], NAME, { predicate: knex.whereRaw("reported = 'open'") });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('port_state', (t) => {
    t.dropIndex(['proto', 'port', 'ip_key'], NAME);
    t.index(['proto', 'port'], 'port_state_proto_port_index');
  });
}
