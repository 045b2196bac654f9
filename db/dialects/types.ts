// What portdelta does differently on each database, behind one interface (STYLE.md "Layers"): the
// dialect is chosen once, from the store's URL (registry.ts), and carried on the Db object; code
// outside db/dialects/ asks it and never branches on the client's name.
import type { Knex } from 'knex';
import type { StageWriter } from '../stage-writer';

/**
 * create: create the store if needed and migrate it (migrate, ingest, watch, run, serve, demo).
 * write: the store must exist with portdelta's schema; pending migrations are applied (report, cleanup).
 * read: the store must exist with the current schema; opened read-only, never migrated.
 */
export type OpenMode = 'create' | 'write' | 'read';

export type Trx = Knex | Knex.Transaction;

/** A query walked a page at a time (Dialect.pages). */
export interface PagedQuery<T> {
  /**
   * The SQL. `after` is the keyset condition, with `$KEY` where the query's key columns go and the
   * last row's key bound as :k0, :k1, …, and `limit` the LIMIT clause; a dialect that walks with a
   * cursor gives both empty.
   */
  build(after: string, limit: string): string;
  bindings: Record<string, unknown>;
  /** The key columns, in the query's ORDER BY. */
  key: readonly (keyof T & string)[];
}

export interface Dialect {
  /** Whether a store URL is one of this dialect's. */
  accepts(url: string): boolean;
  /**
   * knex's configuration for `url` opened as `mode`, and where the data lives, for messages (no
   * password). Throws DatabaseAbsentError when the mode needs an existing store that cannot be there.
   */
  configure(url: string, mode: OpenMode): { config: Knex.Config; where: string };
  /** What the store needs once knex is set up, before its schema is checked; returns the knex to use. */
  open(knex: Knex, at: { config: Knex.Config; where: string; mode: OpenMode }): Promise<Knex>;
  /** What to check when the store could not be opened for a reason that is none of portdelta's. */
  openRemedy(mode: OpenMode): string;
  /** The file whose file system a full disk is about, or null when the data is not in a local file. */
  localFile(where: string): string | null;

  /** Rows per multi-row INSERT of `columns` columns. */
  rowsPerInsert(columns: number): number;
  /** The aggregate that joins a group's text values `expr` with `separator` (an SQL string literal), in no set order. */
  joinedText(expr: string, separator: string): string;
  /** Walks a query's rows a page at a time without holding them all. */
  pages<T extends Record<string, unknown>>(trx: Trx, query: PagedQuery<T>): AsyncGenerator<T[]>;
  /** The bulk loader of a scan's staging tables, on the transaction's own driver connection. */
  stageWriter(connection: unknown): StageWriter;
  /** Creates a temporary table that goes with the transaction, and drops one. */
  createTemp(trx: Knex.Transaction, name: string, columns: string): Promise<void>;
  dropTemp(trx: Knex.Transaction, name: string): Promise<void>;
  /** Gives the planner statistics of a freshly loaded temporary table. */
  analyzeTemp(trx: Knex.Transaction, name: string): Promise<void>;

  /** After a bulk load of the state (a scanner's first scan): statistics for the planner at once. */
  refreshStatistics(knex: Knex): Promise<void>;

  /** Serialises the transactions that take `key`, across processes, until `trx` ends. */
  lock(trx: Trx, key: string): Promise<void>;
  /** Bulk statements that look rows up by a brand-new id: plan them for many rows (hash joins). */
  planForBulk(trx: Trx): Promise<void>;
  /**
   * Runs one statement that names no new id, only staged keys, with the planner free to look rows
   * up by key again (planForBulk stays in force for the rest of the transaction).
   */
  byKey<T>(trx: Trx, run: () => Promise<T>): Promise<T>;
  /** Makes `trx` wait for locks as long as a write waits (lockWaitMs). */
  waitForLocks(trx: Knex.Transaction): Promise<void>;
  /** After a failed write on `conn`, best effort: gives back the space the failed write took. */
  recover(knex: Knex, conn: unknown): Promise<void>;
}
