// What every route needs: the store, the config, the tokens, and where uploads go.
import type { Db } from '../db/connection';
import type { Config } from '../config/config';
import type { TokenTable } from './auth';
import type { TargetPolicy } from '../output-agents/policy';

export interface ServerContext {
  db: Db;
  config: Config;
  tokens: TokenTable;
  maxBody: number;
  /** Ingest each upload at once instead of queueing it in the inbox. */
  ingest: boolean;
  /** The watcher's inbox (queue mode); uploads go to inbox/<scanner>/. */
  inbox: string | null;
  /** Private folder for uploads that are ingested at once (--ingest only; queue mode writes no temporary files). */
  spool: string | null;
  /** The target-state policy (`policy:` in the config) for the dashboard's Audit page; absent or null: none. */
  policy?: { file: string; policy: TargetPolicy } | null;
}
