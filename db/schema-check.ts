// What a reader checks instead of migrating: the store holds portdelta's schema, at the version this
// code knows. It only reads (knex's own `migrate.list()` would create its tables on an empty store).
import type { Knex } from 'knex';
import { DatabaseAbsentError, PortdeltaError } from '../common/errors';
import { migrationNames } from './migrations';

const TABLE = 'knex_migrations';

/** Throws when the store has no portdelta schema, an older one, or one newer than this code. */
export async function checkSchema(knex: Knex, where: string): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) throw new DatabaseAbsentError('no-schema', where);
  const done = new Set((await knex(TABLE).select('name')).map((r: { name: string }) => String(r.name).replace(/\.(ts|js)$/, '')));
  const known = migrationNames();
  const pending = known.filter((n) => !done.has(n));
  const unknown = [...done].filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new PortdeltaError('DATABASE', `the database at ${where} has a newer schema than this portdelta knows (${unknown.join(', ')})`, {
      remedy: 'upgrade portdelta on this machine to the version that wrote the database',
    });
  }
  if (pending.length) {
    throw new PortdeltaError('DATABASE', `the database at ${where} has an older schema than this portdelta (not yet applied: ${pending.join(', ')}); this command only reads and does not upgrade it`, {
      remedy: 'run `portdelta migrate` with the same --db or configuration (as the user that owns the database), then run this again',
    });
  }
}
