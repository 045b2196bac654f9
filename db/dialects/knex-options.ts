// The parts of knex's configuration both dialects share.
import { migrationSource } from '../migrations';

// knex logs to stdout by default, which would corrupt --json output. Every failure it logs also
// reaches us as an error with a message of our own, so its notes go to stderr only for debugging.
const debugLog = (m: unknown) => {
  if (process.env.PORTDELTA_DEBUG) process.stderr.write(`portdelta: database: ${String(m)}\n`);
};
export const knexLog = {
  warn: debugLog,
  error: debugLog,
  deprecate: () => undefined,
  debug: () => undefined,
};

export const MIGRATIONS = { migrationSource, tableName: 'knex_migrations' };
