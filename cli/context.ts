// What every database command needs: the config (validated as a whole) and the store it names.
import { loadConfig, type Config } from '../common/config';
import { DEFAULT_DB, openDb, type Db } from '../db/connection';
import type { GlobalOptions } from './io';

export interface Context {
  config: Config;
  configFile: string | null;
  db: Db;
}

export function dbUrl(global: GlobalOptions, config: Config): string {
  return global.db || process.env.PORTDELTA_DB || config.database || DEFAULT_DB;
}

export async function withContext<T>(global: GlobalOptions, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const { config, file } = loadConfig(global.config);
  const db = await openDb(dbUrl(global, config));
  try {
    return await fn({ config, configFile: file, db });
  } finally {
    await db.close();
  }
}
