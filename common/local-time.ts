// Zone-less local times (nmap -oG headers) read in a named IANA zone, with Intl only.
import { PortdeltaError } from './errors';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function checkZone(zone: string): string {
  try {
    formatter(zone);
    return zone;
  } catch (err) {
    throw new PortdeltaError('CONFIG', `unknown time zone '${zone}' for reading nmap -oG times`, { cause: err, remedy: "set the scanner's timezone to an IANA name such as 'UTC' or 'Europe/Berlin'" });
  }
}

/** The wall-clock time an instant shows in a zone, as if that wall clock were UTC (ms). */
export function wallClock(ms: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/**
 * The UTC instant whose wall-clock time in `zone` is the given one. Of two such instants (the hour
 * repeated when clocks go back) the earlier; for a time that does not exist (clocks went forward)
 * the instant the pre-transition offset gives, i.e. the wall time moves forward.
 */
export function localTimeToUtc(wall: { year: number; month: number; day: number; hour: number; minute: number; second: number }, zone: string): Date {
  const target = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const day = 86_400_000;
  const offsets = new Set([-day, 0, day].map((d) => wallClock(target + d, zone) - (target + d)));
  const hits = [...offsets].map((o) => target - o).filter((t) => wallClock(t, zone) === target);
  if (hits.length > 0) return new Date(Math.min(...hits));
  return new Date(target - (wallClock(target - day, zone) - (target - day)));
}

/** 'Mon Mar  3 02:00:00 2025' in `zone` → Date, or undefined when unreadable. */
export function parseNmapDate(text: string, zone: string): Date | undefined {
  const m = /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) +(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (\d{4})$/.exec(text.trim());
  const month = m ? MONTHS.indexOf(m[1]) + 1 : 0;
  if (!m || month === 0) return undefined;
  const wall = { year: Number(m[6]), month, day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]), second: Number(m[5]) };
  if (wall.day < 1 || wall.day > 31 || wall.hour > 23 || wall.minute > 59 || wall.second > 60) return undefined;
  return localTimeToUtc(wall, zone);
}

