// Bulk loading of a scan's staging rows and of its change rows, the hot paths of an ingest: the
// tables' columns and the writer each dialect implements (db/dialects/sqlite-stage.ts,
// db/dialects/postgres-copy.ts).

export type Cell = string | number | null;

export const STAGE_COLUMNS = Object.freeze({
  stage_hosts: ['ip_key', 'ip', 'up', 'timed_out', 'ptr', 'mac', 'open_count', 'digest'],
  stage_ports: ['ip_key', 'proto', 'port', 'open', 'service'],
  stage_unknown_ports: ['ip_key', 'proto', 'lo', 'hi'],
  stage_port_facts: ['ip_key', 'proto', 'port', 'service', 'cert', 'cert_not_after'],
  stage_absent: ['ip_key'],
  stage_restage: ['ip_key'],
  // The change log: the classifier walks' rows (delta-reporter/apply-scan.ts).
  changes: ['scanner_id', 'scan_id', 'ip_key', 'ip', 'proto', 'port', 'type', 'hostname', 'previous_hostname', 'returning', 'detected_at'],
} as const);
export type StageTable = keyof typeof STAGE_COLUMNS;

/** The column list of `table` for an INSERT or COPY (quoted: `returning` is a keyword). */
export const columnList = (table: StageTable): string => STAGE_COLUMNS[table].map((c) => `"${c}"`).join(',');

export interface StageWriter {
  /** `values` holds the rows one after the other, STAGE_COLUMNS[table].length cells each. */
  write(table: StageTable, values: Cell[]): Promise<void>;
  close(): Promise<void>;
}
