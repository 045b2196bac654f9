// Durations as operators write them in options and config: '30s', '5m', '36h', '7d', '2w'.
const UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** Milliseconds, or null when the text is not a duration (the caller words the error for its place). */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : null;
}

export const DURATION_HINT = "a number with a unit: ms, s, m, h, d or w (e.g. 30s, 5m, 36h, 7d)";

/** The largest whole unit: 93600000 → '26h', 90000 → '90s'. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}
