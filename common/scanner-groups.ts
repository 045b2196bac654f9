// Which group a scanner belongs to (DESIGN §3 "Scanner groups"). Ingest records the group the
// config named at the time (scanners.group_name) and never clears it, so the current config must
// be able to override it: an operator who moves a scanner to another group, or out of every group,
// expects the next report to follow the file, not the scanner's last ingest.
import type { Config } from './config';

/**
 * A scanner listed under `scanners:` in the current config is in the group given there, or in none
 * when its entry has no `group`. A scanner the config does not list keeps the group stored at its
 * last ingest (null: none).
 */
export function effectiveGroup(name: string, storedGroup: string | null, config?: Config): string | null {
  const entry = config && Object.prototype.hasOwnProperty.call(config.scanners, name) ? config.scanners[name] : undefined;
  if (entry) return entry.group ?? null;
  return storedGroup ?? null;
}
