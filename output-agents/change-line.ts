// A change as one plain line, for the webhook's Slack-style `text` (the full report, grouped by
// host, is output-agents/render.ts).
import type { ReportChange } from './types';

export function changeLine(c: ReportChange): string {
  const where = c.ip ?? `scanner ${c.scanner}`; // a scanner event has no address
  const host = c.hostname ? `${where} (${c.hostname})` : where;
  const notes = [
    c.confirms !== null ? `confirms change ${c.confirms}` : null,
    c.policy.expected === false ? 'not allowed by the policy' : c.policy.expected === true ? 'expected by the policy' : null,
    c.policy.owner ? `owner ${c.policy.owner}` : null,
  ].filter(Boolean);
  return `${host}: ${c.text} [${c.scanner}${c.scan_time ? `, scan ${c.scan_time}` : ''}]${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
