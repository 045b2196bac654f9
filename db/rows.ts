// Reading what knex.raw returns, the same way on both databases: SQLite gives the rows, PostgreSQL a
// result holding them.

/** Rows per page when a statement's rows are walked a page at a time. */
export const PAGE = 5000;

export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
