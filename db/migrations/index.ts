// Migrations are listed here rather than discovered on disk, so the same list works from the
// TypeScript sources (tests) and from the compiled dist/ (the shipped CLI).
import type { Knex } from 'knex';
import * as m001 from './001_initial';
import * as m002 from './002_deliveries';
import * as m003 from './003_delivery_claims';
import * as m004 from './004_scanner_health';
import * as m005 from './005_baseline';
import * as m006 from './006_metrics_indexes';
import * as m007 from './007_dashboard_counts';
import * as m008 from './008_open_port_index';
import * as m009 from './009_service_cert';
import * as m010 from './010_block_counts';
import * as m011 from './011_seen_by_scan';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = Object.freeze([
  ['001_initial', m001],
  ['002_deliveries', m002],
  ['003_delivery_claims', m003],
  ['004_scanner_health', m004],
  ['005_baseline', m005],
  ['006_metrics_indexes', m006],
  ['007_dashboard_counts', m007],
  ['008_open_port_index', m008],
  ['009_service_cert', m009],
  ['010_block_counts', m010],
  ['011_seen_by_scan', m011],
]);

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m[0],
  getMigration: async (m) => m[1],
};

/** The names of the migrations this code knows, oldest first. */
export const migrationNames = (): string[] => MIGRATIONS.map(([name]) => name);
