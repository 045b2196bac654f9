// What the webhook kind POSTs in one run: its own JSON (style generic, format json: a
// Slack-compatible `text` plus the changes with their exact values), a chat platform's messages
// (chat/), or a SIEM's records (siem/: ECS or OCSF as a JSON array, CEF as lines of text). Each
// message carries the change ids it delivers, so a send that fails midway keeps what went out.
import { chatText } from '../common/safe-text';
import { changeLine } from './change-line';
import { chatStyle } from './chat/registry';
import type { ChatStyle, Digest } from './chat/types';
import { baselineRecord } from './overview';
import { siemRecords, type SiemRecord } from './siem/records';
import { siemFormat } from './siem/registry';
import type { SiemFormat } from './siem/types';
import type { ChangeBatch } from './types';

export interface WebhookMessage {
  body: string;
  contentType: string;
  ids: number[];
}

export interface BodyOptions {
  style: 'generic' | ChatStyle['name'];
  format: 'json' | SiemFormat['name'];
}

const allIds = (batch: ChangeBatch) => [...(batch.baselines ?? []).flatMap((b) => b.change_ids), ...batch.changes.map((c) => c.id)];
const count = (n: number) => `${n} change${n === 1 ? '' : 's'}`;

function digest(batch: ChangeBatch): Digest {
  return {
    agent: batch.agent,
    count: count(batch.changes.length),
    unexpected: batch.changes.some((c) => c.policy.expected === false),
    lines: [
      ...(batch.baselines ?? []).map((b) => ({ text: `${b.text} (${b.command} lists them)`, ids: b.change_ids, ref: null })),
      ...batch.changes.map((c) => ({ text: changeLine(c), ids: [c.id], ref: `change ${c.id}` })),
    ],
  };
}

function generic(batch: ChangeBatch): string {
  // Each line escaped for chat on its own: the line breaks between them are ours, any inside a value are not.
  const baselines = (batch.baselines ?? []).map(baselineRecord);
  const lines = [`portdelta ${batch.agent}: ${count(batch.changes.length)}`, ...digest(batch).lines.map((l) => `• ${l.text}`)];
  const text = lines.map(chatText).join('\n');
  return JSON.stringify({ text, agent: batch.agent, target_group: batch.targetGroup, generated_at: batch.generatedAt.toISOString(), changes: batch.changes, baselines, disagreements: batch.disagreements });
}

/**
 * The most a SIEM POST carries: HTTP collectors refuse larger bodies (Splunk HEC, Datadog and Sumo
 * Logic take about 1 MB), and a refused batch would be refused again every run.
 */
const SIEM_MAX_BYTES = 1_000_000;

function siemMessage(records: SiemRecord[], format: SiemFormat): WebhookMessage {
  const body = format.json ? `[${records.map((r) => r.text).join(',')}]` : records.map((r) => `${r.text}\n`).join('');
  return { body, contentType: format.json ? 'application/json' : 'text/plain; charset=utf-8', ids: records.flatMap((r) => r.ids) };
}

/** The batch's records in order, as few POSTs as SIEM_MAX_BYTES allows. */
function siem(batch: ChangeBatch, format: SiemFormat): WebhookMessage[] {
  const groups: SiemRecord[][] = [[]];
  let bytes = 2;
  for (const r of siemRecords(batch, format)) {
    const size = Buffer.byteLength(r.text) + 1;
    if (groups[groups.length - 1].length && bytes + size > SIEM_MAX_BYTES) {
      groups.push([]);
      bytes = 2;
    }
    groups[groups.length - 1].push(r);
    bytes += size;
  }
  return groups.map((g) => siemMessage(g, format));
}

export function webhookMessages(batch: ChangeBatch, o: BodyOptions): WebhookMessage[] {
  if (o.format !== 'json') return siem(batch, siemFormat(o.format));
  if (o.style === 'generic') return [{ body: generic(batch), contentType: 'application/json', ids: allIds(batch) }];
  return chatStyle(o.style).messages(digest(batch)).map((m) => ({ body: JSON.stringify(m.body), contentType: 'application/json', ids: m.ids }));
}
