// Bulk loading of a scan's staging rows, the hot path of an ingest. SQLite: one prepared multi-row
// INSERT reused for every full batch (no SQL re-parsing, binding on the driver's thread).
// PostgreSQL: COPY FROM STDIN, about three times faster than multi-row INSERT (TOOLCHAIN.md).
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { Dialect } from './connection';

export type Cell = string | number | null;

export const STAGE_COLUMNS = Object.freeze({
  stage_hosts: ['ip_key', 'ip', 'up', 'timed_out', 'ptr', 'mac', 'open_count'],
  stage_ports: ['ip_key', 'proto', 'port', 'open', 'service'],
  stage_unknown_ports: ['ip_key', 'proto', 'lo', 'hi'],
} as const);
export type StageTable = keyof typeof STAGE_COLUMNS;

export interface StageWriter {
  /** `values` holds the rows one after the other, STAGE_COLUMNS[table].length cells each. */
  write(table: StageTable, values: Cell[]): Promise<void>;
  close(): Promise<void>;
}

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
  return `INSERT INTO ${table} (${cols.join(',')}) VALUES ${Array(rows).fill(one).join(',')}`;
}

function sqliteWriter(conn: SqliteConnection): StageWriter {
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

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function copyCell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : v;
}

interface PgConnection {
  query(q: unknown): NodeJS.WritableStream;
}

function pgWriter(conn: PgConnection): StageWriter {
  return {
    async write(table, values) {
      if (values.length === 0) return;
      const width = STAGE_COLUMNS[table].length;
      const copy = conn.query(copyFrom(`COPY ${table} (${STAGE_COLUMNS[table].join(',')}) FROM STDIN`));
      async function* text() {
        const CHUNK = 4000 * width;
        for (let i = 0; i < values.length; i += CHUNK) {
          let s = '';
          const end = Math.min(values.length, i + CHUNK);
          for (let j = i; j < end; j += width) {
            s += copyCell(values[j]);
            for (let k = 1; k < width; k++) s += '\t' + copyCell(values[j + k]);
            s += '\n';
          }
          yield s;
        }
      }
      await pipeline(Readable.from(text()), copy as unknown as NodeJS.WritableStream);
    },
    async close() {},
  };
}

export function stageWriter(dialect: Dialect, connection: unknown): StageWriter {
  return dialect === 'sqlite' ? sqliteWriter(connection as SqliteConnection) : pgWriter(connection as PgConnection);
}
