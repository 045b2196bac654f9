// A change as one plain line, for the webhook's Slack-style `text` and the file kind's text format.
// (The full mail-style report is output-agents/render.ts; `format: text` is meant to use it.)
import type { ChangeBatch, ReportChange } from './types';

export function changeLine(c: ReportChange): string {
  const host = c.hostname ? `${c.ip} (${c.hostname})` : c.ip;
  const notes = [
    c.confirms !== null ? `confirms change ${c.confirms}` : null,
    c.policy.expected === false ? 'not allowed by the policy' : c.policy.expected === true ? 'expected by the policy' : null,
    c.policy.owner ? `owner ${c.policy.owner}` : null,
  ].filter(Boolean);
  return `${host}: ${c.text} [${c.scanner}${c.scan_time ? `, scan ${c.scan_time}` : ''}]${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export function plainReport(batch: ChangeBatch): string {
  const n = batch.changes.length;
  const head = `portdelta ${batch.agent}: ${n} change${n === 1 ? '' : 's'} (${batch.generatedAt.toISOString()})`;
  return [head, ...batch.changes.map((c) => `- ${changeLine(c)}`)].join('\n') + '\n';
}
