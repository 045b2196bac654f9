// How long a write waits for another process's lock before it fails: SQLite's busy_timeout, and
// PostgreSQL's lock_timeout where portdelta sets one (claiming and recording deliveries).
// PORTDELTA_LOCK_WAIT_MS changes it (docs/configuration.md).
export function lockWaitMs(): number {
  const v = Number(process.env.PORTDELTA_LOCK_WAIT_MS);
  return Number.isInteger(v) && v > 0 ? v : 30_000;
}
