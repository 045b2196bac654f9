// One syslog message per change (RFC 5424 §6): <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
// STRUCTURED-DATA BOM MSG. The header fields are printable US-ASCII (anything else becomes `_`);
// STRUCTURED-DATA values escape `"`, `\` and `]` (§6.3.3); MSG is UTF-8 behind a BOM (§6.4).
import { PRODUCT, SYSLOG_SEVERITY } from './siem/facts';
import type { SiemRecord } from './siem/records';

export const FACILITIES = Object.freeze({
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
});
export type Facility = keyof typeof FACILITIES;

export interface HeaderOptions {
  facility: Facility;
  hostname: string;
  app_name: string;
  enterprise_id: number;
}

const BOM = '\ufeff';
const NIL = '-';

/** A header field: PRINTUSASCII (33–126) only, at most `max` characters, NILVALUE when empty. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v || NIL;
}

const sdValue = (s: string) => s.replace(/["\\\]]/g, (c) => `\\${c}`);

/** The record's own SD element beside the registered `origin` (RFC 5424 §7.2). */
function structuredData(r: SiemRecord, o: HeaderOptions): string {
  const params: Array<[string, string | number | null]> = [['eventId', r.id], ['changeIds', r.ids.join(',')], ['scanner', r.scanner], ['verdict', r.verdict]];
  const own = params.map(([k, v]) => `${k}="${sdValue(String(v))}"`).join(' ');
  return `[origin software="${PRODUCT.name}" swVersion="${PRODUCT.version}"][portdelta@${o.enterprise_id} ${own}]`;
}

export function syslogMessage(r: SiemRecord, o: HeaderOptions, now: Date): string {
  const pri = FACILITIES[o.facility] * 8 + SYSLOG_SEVERITY[r.severity];
  const header = [`<${pri}>1`, now.toISOString(), headerField(o.hostname, 255), headerField(o.app_name, 48), String(process.pid), headerField(r.action, 32)];
  return `${header.join(' ')} ${structuredData(r, o)} ${BOM}${r.text}`;
}
