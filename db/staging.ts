// A scan's staging tables: temporary, made per ingest inside its transaction (so they hold one
// scan and need no scan id), loaded without
// indexes (bulk load), indexed once loaded, dropped at the end. Deleting a big scan's rows from
// permanent tables cost more than the whole apply (docs/benchmarks.md).
import type { Knex } from 'knex';
import type { Dialect } from './dialects/types';

const TABLES = {
  stage_hosts: 'ip_key varchar(32) NOT NULL, ip varchar(45) NOT NULL, up integer NOT NULL, timed_out integer NOT NULL, ptr varchar(255), mac varchar(32), open_count integer NOT NULL, digest bigint',
  stage_ports: 'ip_key varchar(32) NOT NULL, proto varchar(8) NOT NULL, port integer NOT NULL, open integer NOT NULL, service varchar(100)',
  stage_unknown_ports: 'ip_key varchar(32) NOT NULL, proto varchar(8) NOT NULL, lo integer NOT NULL, hi integer NOT NULL',
  // Only ports with a probed fingerprint or a certificate get a row: a scan without -sV or ssl-cert leaves it empty.
  stage_port_facts: 'ip_key varchar(32) NOT NULL, proto varchar(8) NOT NULL, port integer NOT NULL, service text, cert text, cert_not_after bigint',
  // Hosts known as up that the scan did not list, and hosts skipped at a first record and listed again (delta-reporter/seen-hosts.ts).
  stage_absent: 'ip_key varchar(32) NOT NULL',
  stage_restage: 'ip_key varchar(32) NOT NULL',
  // The hosts a scan works on, in key order: the ones it staged and the ones known as up it did not list.
  stage_touched: 'ip_key varchar(32) NOT NULL PRIMARY KEY',
} as const;

const INDEXES = [
  'CREATE INDEX stage_hosts_key ON stage_hosts (ip_key)',
  'CREATE INDEX stage_ports_key ON stage_ports (ip_key, proto, port)',
  'CREATE INDEX stage_unknown_key ON stage_unknown_ports (ip_key, proto)',
  'CREATE INDEX stage_facts_key ON stage_port_facts (ip_key, proto, port)',
  'CREATE INDEX stage_absent_key ON stage_absent (ip_key)',
  'CREATE INDEX stage_restage_key ON stage_restage (ip_key)',
];

/** The hosts a scan works on (stage_touched), as a subquery. */
export const TOUCHED_KEYS = '(SELECT ip_key FROM stage_touched)';

export async function createStaging(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  for (const [name, cols] of Object.entries(TABLES)) {
    await dialect.dropTemp(trx, name);
    await dialect.createTemp(trx, name, cols);
  }
}

export async function indexStaging(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  for (const sql of INDEXES) await trx.raw(sql);
  await trx.raw('INSERT INTO stage_touched (ip_key) SELECT ip_key FROM stage_hosts UNION SELECT ip_key FROM stage_absent');
  for (const name of Object.keys(TABLES)) await dialect.analyzeTemp(trx, name);
}

export async function dropStaging(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  for (const name of Object.keys(TABLES)) await dialect.dropTemp(trx, name);
}
