// `audit --cert-expiry 30d`: the certificates on open ports that expire within that time (or have
// expired), soonest first. Needs no policy: it reads what ssl-cert scans stored.
import type { Io } from './io';
import { json, table } from './render';
import { listExpiringCerts } from '../db/cert-repo';
import type { Db } from '../db/connection';
import type { IpRange } from '../common/types';
import { DURATION_HINT, parseDuration } from '../common/duration';
import { UsageError } from '../common/errors';
import { safeText } from '../common/safe-text';
import { healthNow } from '../delta-reporter/scanner-health';

const DAY = 86_400_000;

/** '30d', '6w', or a bare number of days. */
export function certExpiryWindow(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) * DAY : parseDuration(text);
  if (ms === null) throw new UsageError(`--cert-expiry '${text}' is not a duration`, `give ${DURATION_HINT}, or a number of days`);
  return ms;
}

export async function auditCerts(db: Db, io: Io, f: { windowMs: number; scanner?: string; networks?: IpRange[]; json: boolean }): Promise<{ found: number }> {
  const now = healthNow(); // PORTDELTA_NOW, as for scanner health
  const rows = await listExpiringCerts(db.knex, { beforeMs: now + f.windowMs, scanner: f.scanner, networks: f.networks });
  const days = (notAfter: string | null) => (notAfter === null ? null : Math.floor((Date.parse(notAfter) - now) / DAY));
  const out = rows.map((r) => ({ ...r, days_left: days(r.cert.not_after), expired: Date.parse(r.cert.not_after ?? '') <= now }));
  if (f.json) json(io, out);
  else if (out.length === 0) io.out('no certificate on an open port expires within that time\n');
  else {
    table(
      io,
      ['IP', 'PORT', 'HOSTNAME', 'SCANNER', 'SUBJECT', 'ISSUER', 'NOT AFTER', 'LEFT'],
      out.map((r) => [
        r.ip, `${r.port}/${r.proto}`, safeText(r.hostname), r.scanner, safeText(r.cert.subject), safeText(r.cert.issuer),
        r.cert.not_after ?? '?', r.expired ? 'expired' : `${r.days_left}d`,
      ]),
    );
  }
  return { found: out.length };
}
