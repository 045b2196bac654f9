// A scanner's own settings (DESIGN §5 `scanners:`): the slice of the configuration that the delta
// core receives, so that it never sees the whole file.
import { z } from 'zod';
import { duration, portSpec, share, targetList } from './config-fields';

const threshold = z.number().int().min(1).max(1000);

export const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a time zone name (e.g. UTC, Europe/Berlin)');

export const scannerSchema = z
  .object({
    group: z.string().min(1).optional(),
    open_after: threshold.default(1),
    close_after: threshold.default(1),
    down_after: threshold.default(1),
    scope: targetList.optional(),
    ports: portSpec().optional(),
    open_filtered: z.enum(['ignore', 'open']).default('ignore'),
    max_open_ports: z.number().int().min(1).max(65536).default(200),
    timezone: timezone.optional(),
    // Scanner health (docs/operations.md): silent after this long without an applied complete scan.
    expect_every: duration.optional(),
    max_absence: share.default('50%'),
  })
  .strict();
export type ScannerConfig = z.output<typeof scannerSchema>;

const DEFAULT_SCANNER_CONFIG: ScannerConfig = scannerSchema.parse({});

/** Per scanner name, its settings as configured; the lower layers take only this. */
export type ScannersConfig = Readonly<Record<string, ScannerConfig>>;

/** The named scanner's settings, or the defaults for a scanner the file does not list. */
export function scannerConfig(scanners: ScannersConfig, name: string): ScannerConfig {
  return scanners[name] ?? DEFAULT_SCANNER_CONFIG;
}
