// Which group a scanner belongs to (DESIGN §3 "Scanner groups"). Ingest records the group the
// config named at the time (scanners.group_name) and never clears it, so the current config must
// be able to override it: an operator who moves a scanner to another group, or out of every group,
// expects the next report to follow the file, not the scanner's last ingest.
/** The scanners the current config lists, each with the group it gives them there (null: none). */
export type ListedGroups = Readonly<Record<string, string | null>>;

export function listedGroups(config: { scanners: Record<string, { group?: string }> }): ListedGroups {
  return Object.fromEntries(Object.entries(config.scanners).map(([name, s]) => [name, s.group ?? null]));
}

/**
 * A scanner the config lists is in the group given there, or in none when its entry has no
 * `group`. A scanner the config does not list keeps the group stored at its last ingest (null:
 * none). db/delivery-filter.ts says the same in SQL.
 */
export function groupOf(name: string, storedGroup: string | null, listed: ListedGroups): string | null {
  if (Object.prototype.hasOwnProperty.call(listed, name)) return listed[name];
  return storedGroup ?? null;
}
