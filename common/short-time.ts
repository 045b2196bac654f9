// How the CLI tables and the reports write a stored time: to the minute, in UTC, without the 'T'.

/** '2025-03-04T02:00:00.000Z' → '2025-03-04 02:00' */
export function shortTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '';
}
