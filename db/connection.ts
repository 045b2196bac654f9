// Opens the store from a URL: a file path or sqlite:PATH (default ./portdelta.sqlite), or
// postgres://… (optionally ?schema=NAME). How depends on the command (OpenMode): only the commands
// that fill a store create and migrate one; the others need it to exist, and readers open it read-only.
import knexFactory, { type Knex } from 'knex';
import { DatabaseAbsentError, PortdeltaError } from '../common/errors';
import { databaseFault, databaseReason, databaseRemedy, diskCause } from './db-errors';
import { checkSchema } from './schema-check';
import { dialectFor } from './dialects/registry';
import type { Dialect, OpenMode } from './dialects/types';

export interface Db {
  readonly knex: Knex;
  /** What this database does its own way (db/dialects/), chosen from the URL. */
  readonly dialect: Dialect;
  /** Where the data lives, for messages (no password). */
  readonly where: string;
  close(): Promise<void>;
}

export const DEFAULT_DB = 'sqlite:./portdelta.sqlite';

/** The dialect `url` names and knex's configuration for it; throws when the mode needs a store that cannot be there. */
export function knexConfig(url: string, mode: OpenMode = 'create'): { config: Knex.Config; dialect: Dialect; where: string } {
  const dialect = dialectFor(url);
  return { dialect, ...dialect.configure(url, mode) };
}

/** Opens the store as `opts.mode` says (default: create and migrate). */
export async function openDb(url: string = DEFAULT_DB, opts: { migrate?: boolean; mode?: OpenMode } = {}): Promise<Db> {
  const mode = opts.mode ?? 'create';
  const { config, dialect, where } = knexConfig(url, mode);
  let knex = knexFactory(config);
  try {
    knex = await dialect.open(knex, { config, where, mode });
    if (mode === 'read') await checkSchema(knex, where);
    else {
      if (mode === 'write' && !(await knex.schema.hasTable('knex_migrations'))) throw new DatabaseAbsentError('no-schema', where);
      // Migrating takes knex's migration lock, a write: only when something is pending, so that a
      // read or a report can start while an ingest holds SQLite's write lock.
      if (opts.migrate !== false && (await knex.migrate.list())[1].length > 0) await knex.migrate.latest();
    }
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    throw openError(err, dialect, where, mode);
  }
  return { knex, dialect, where, close: () => knex.destroy() };
}

function openError(err: unknown, dialect: Dialect, where: string, mode: OpenMode): PortdeltaError {
  if (err instanceof PortdeltaError) return err;
  const code = String((err as { code?: unknown }).code);
  // 3D000: PostgreSQL has no database of that name.
  if (code === '3D000' && mode !== 'create') return new DatabaseAbsentError('missing', where, err);
  const at = { dialect, where };
  const own = databaseFault(err) === 'locked' || databaseFault(err) === 'disk-full' || diskCause(err, at) !== null;
  const remedy = own ? databaseRemedy(err, at) : dialect.openRemedy(mode);
  return new PortdeltaError('DATABASE', `cannot open the database at ${where}: ${databaseReason(err, at)}`, { cause: err, remedy });
}
