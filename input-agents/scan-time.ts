// Every time an input agent reads from a file goes through here. A time far outside the years a
// scan can have run (a scanner whose clock was never set writes 1970; a damaged or edited file
// anything at all) would date every change of the file wrongly and make every later scan of the
// scanner 'stale', so it is a bad record, never a time to store. It also keeps Invalid Date (a
// number beyond what Date holds) out of the ingest, where it would only fail much later.

export const EARLIEST_SCAN_TIME = Date.UTC(1990, 0, 1);
export const LATEST_SCAN_TIME = Date.UTC(2100, 0, 1);

export const SCAN_TIME_REMEDY = "a scan time outside 1990-2099 means the scanner's clock was wrong or the file is damaged: set the scanner's clock and scan again, or correct the time in the file";

/** Epoch milliseconds as a Date, or the reason it is no scan time ('what' names it: "start time '…'"). */
export function scanTime(ms: number, what: string): Date | string {
  if (!Number.isFinite(ms)) return `${what} is not a time`;
  if (ms < EARLIEST_SCAN_TIME || ms >= LATEST_SCAN_TIME) {
    const d = new Date(ms);
    const shown = Number.isNaN(d.getTime()) ? 'beyond any calendar' : d.toISOString();
    return `${what} (${shown}) is outside 1990-2099`;
  }
  return new Date(ms);
}

/**
 * A record's own time (when the port was seen), for the line-per-record formats: undefined when the
 * text is no date at all (the record simply has no time), a Date in range, else the record is
 * rejected through the caller's `reject` (which names the line).
 */
export function recordTime(ms: number, text: string, reject: (message: string, remedy: string) => never): Date | undefined {
  if (Number.isNaN(ms)) return undefined;
  const t = scanTime(ms, `timestamp '${text.slice(0, 40)}'`);
  return typeof t === 'string' ? reject(t, SCAN_TIME_REMEDY) : t;
}
