// Number formatting shared by the log, the tables and the targets: one spelling of "n/a".
export const mb = (bytes: number): number => bytes / 1e6;
export const fmt = (n: number | null | undefined, d = 2): string => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));
export const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));

/** A database's name in the tables; '-' for the steps without one. */
export const dbLabel = (db: string): string => (db === 'pg' ? 'PostgreSQL' : db === 'sqlite' ? 'SQLite' : '-');

/** Observations in a night's file: addresses listed plus open ports listed. */
export const obsOf = (n: { hosts_listed: number; ports_open: number }): number => n.hosts_listed + n.ports_open;
