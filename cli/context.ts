// What every database command needs: the config (validated as a whole) and the store it names,
// opened as the command's declaration says (cli/commands.ts: db, uses).
import type { Config } from '../config/config';
import { DatabaseAbsentError } from '../common/errors';
import { DEFAULT_DB, openDb, type Db } from '../db/connection';
import type { GlobalOptions } from './io';
import { loadCommandConfig } from './command-config';

export interface Context {
  config: Config;
  configFile: string | null;
  db: Db;
}

/** The store's URL and where it came from, for messages. */
interface DbTarget {
  url: string;
  from: 'option' | 'env' | 'config' | 'default';
  configFile: string | null;
  /** The command's directory, where the default store lies (the process's when absent). */
  cwd?: string;
}

function dbTarget(global: GlobalOptions, config: Config, configFile: string | null): DbTarget {
  if (global.db) return { url: global.db, from: 'option', configFile, cwd: global.cwd };
  const fromEnv = (global.env ?? process.env).PORTDELTA_DB;
  if (fromEnv) return { url: fromEnv, from: 'env', configFile, cwd: global.cwd };
  if (config.database) return { url: config.database, from: 'config', configFile, cwd: global.cwd };
  return { url: DEFAULT_DB, from: 'default', configFile, cwd: global.cwd };
}

function origin(t: DbTarget): string {
  switch (t.from) {
    case 'option': return 'given by --db';
    case 'env': return 'from the environment variable PORTDELTA_DB';
    case 'config': return `from \`database:\` in ${t.configFile}`;
    default: return `the default ${DEFAULT_DB} in the current directory ${t.cwd ?? process.cwd()}: no --db, no PORTDELTA_DB and no \`database:\` in a configuration file${t.configFile ? ` (${t.configFile})` : ' (none found)'}`;
  }
}

function absentRemedy(t: DbTarget, pg: boolean, reason: DatabaseAbsentError['reason']): string {
  const where = t.from === 'option' ? 'correct --db' : t.from === 'env' ? 'correct PORTDELTA_DB' : t.from === 'config' ? `correct \`database:\` in ${t.configFile}` : 'give --db, set PORTDELTA_DB, or set `database:` in the configuration (cron runs commands in $HOME)';
  const create = pg && reason === 'missing'
    ? 'to start a new store there, create the database (createdb) and run `portdelta migrate`'
    : 'to start a new database there, run `portdelta migrate` (or ingest a scan)';
  return `${where}; ${create}`;
}

/** Opens the store for a command; a store that is not there says where portdelta looked and why there. */
async function openTarget(t: DbTarget, mode: 'create' | 'write' | 'read' = 'create', command = 'this command'): Promise<Db> {
  try {
    return await openDb(t.url, { mode });
  } catch (err) {
    if (!(err instanceof DatabaseAbsentError)) throw err;
    const what = err.reason === 'missing' ? `no database at ${err.where}` : `the database at ${err.where} has no portdelta schema (no portdelta tables in it)`;
    throw new DatabaseAbsentError(err.reason, err.where, err, {
      message: `${what} (${origin(t)}); \`portdelta ${command}\` only uses an existing database and did not create one`,
      remedy: absentRemedy(t, /^postgres/i.test(t.url), err.reason),
    });
  }
}

export async function withContext<T>(global: GlobalOptions, fn: (ctx: Context) => Promise<T>): Promise<T> {
  return withStore(global, loadCommandConfig(global), fn);
}

/** withContext for a command that has loaded its configuration already (cli/ingest.ts). */
export async function withStore<T>(global: GlobalOptions, loaded: { config: Config; file: string | null }, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const { config, file } = loaded;
  const db = await openTarget(dbTarget(global, config, file), global.access?.db, global.access?.command);
  try {
    return await fn({ config, configFile: file, db });
  } finally {
    await db.close();
  }
}
