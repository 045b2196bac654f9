// Staging rows on SQLite: one prepared multi-row INSERT reused for every full batch (no SQL
// re-parsing, binding on the driver's thread).
import { columnList, STAGE_COLUMNS, type Cell, type StageTable, type StageWriter } from '../stage-writer';

interface SqliteStatement {
  run(params: Cell[], cb: (err: Error | null) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}
interface SqliteConnection {
  prepare(sql: string, cb: (err: Error | null) => void): SqliteStatement;
  run(sql: string, params: Cell[], cb: (err: Error | null) => void): void;
}

// SQLite binds at most 32,766 parameters per statement.
const SQLITE_PARAMS = 32000;

function insertSql(table: StageTable, rows: number): string {
  const cols = STAGE_COLUMNS[table];
  const one = `(${cols.map(() => '?').join(',')})`;
  return `INSERT INTO ${table} (${columnList(table)}) VALUES ${Array(rows).fill(one).join(',')}`;
}

/** `connection`: the transaction's node-sqlite3 Database. */
export function sqliteWriter(connection: unknown): StageWriter {
  const conn = connection as SqliteConnection;
  const prepared = new Map<StageTable, { stmt: SqliteStatement; rows: number }>();
  const run = (fn: (cb: (err: Error | null) => void) => void) => new Promise<void>((res, rej) => fn((e) => (e ? rej(e) : res())));
  const statement = async (table: StageTable, rows: number): Promise<SqliteStatement> => {
    const have = prepared.get(table);
    if (have) return have.stmt;
    let stmt!: SqliteStatement;
    await run((cb) => (stmt = conn.prepare(insertSql(table, rows), cb)));
    prepared.set(table, { stmt, rows });
    return stmt;
  };
  return {
    async write(table, values) {
      const width = STAGE_COLUMNS[table].length;
      const batch = Math.floor(SQLITE_PARAMS / width);
      const rows = values.length / width;
      let i = 0;
      for (; i + batch <= rows; i += batch) {
        const stmt = await statement(table, batch);
        const params = values.slice(i * width, (i + batch) * width);
        await run((cb) => stmt.run(params, cb));
      }
      if (i < rows) {
        const rest = values.slice(i * width);
        await run((cb) => conn.run(insertSql(table, rows - i), rest, cb));
      }
    },
    async close() {
      for (const { stmt } of prepared.values()) await run((cb) => stmt.finalize(cb));
      prepared.clear();
    },
  };
}
