// The sizes of the text columns an ingest fills from a file's content (db/migrations/001_initial.ts
// and the staging tables of db/staging.ts). PostgreSQL refuses a longer value, SQLite stores it
// whole: fitting every such value to its column before it is written makes a file ingest the same
// on both, and keeps a long name in a file from becoming a database error (which would leave the
// file waiting in the inbox forever). PostgreSQL refuses NUL in text as well, SQLite does not.
export const COLUMN_LIMITS = Object.freeze({ tool: 40, tool_version: 40, timezone: 64, mac: 32, service: 100, hostname: 255 });

/** `value` without NUL characters and cut to `max` characters (never inside a surrogate pair). */
export function fitColumn(value: string, max: number): string {
  const clean = value.includes('\0') ? value.replace(/\0/g, '') : value;
  if (clean.length <= max) return clean;
  const cut = clean.charCodeAt(max - 1) >= 0xd800 && clean.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return clean.slice(0, cut);
}

/** Text without NUL, for unbounded text columns. */
export const withoutNul = (value: string): string => (value.includes('\0') ? value.replace(/\0/g, '') : value);
