// What `report` (and `run`) print about each output agent: one line each, or the dry run's list.
import type { AgentResult } from '../output-agents/runner';
import type { Io } from './io';
import { safeText } from './render';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function counts(r: AgentResult, verb: string): string {
  const parts: string[] = [];
  if (r.delivered) parts.push(`${plural(r.delivered, 'change')} ${verb}${r.confirmed ? ` (${r.confirmed} confirming a known change)` : ''}`);
  if (r.suppressed) parts.push(`${r.suppressed} suppressed as already reported to the target group`);
  if (r.expected) parts.push(`${r.expected} expected by the policy, not sent`);
  return parts.join(', ');
}

export function agentLine(r: AgentResult): string {
  const who = `${r.agent} (${r.kind})`;
  if (r.status === 'failed') {
    const sent = r.delivered ? `; ${plural(r.delivered, 'change')} delivered before it failed` : '';
    return `${who}: FAILED: ${safeText(r.error)}${sent}; ${r.retry ? `${plural(r.retry, 'change')} ` : 'it '}will be retried on the next run`;
  }
  if (r.status === 'dry-run') return `${who}: would take ${plural(r.would?.length ?? 0, 'change')}${r.would?.length ? `: ${counts(r, 'to send')}` : ''}`;
  return `${who}: ${counts(r, 'delivered') || 'nothing new'}`;
}

const MARK: Record<string, (of?: number) => string> = {
  deliver: () => '',
  confirms: (of) => `  [confirms change ${of}]`,
  duplicate: (of) => `  [duplicate of change ${of}: suppressed]`,
  expected: () => '  [expected by the policy: suppressed]',
};

export function printAgentResults(io: Io, results: AgentResult[]): void {
  for (const r of results) {
    io.out(agentLine(r) + '\n');
    for (const w of r.would ?? []) {
      const host = w.hostname ? `${w.ip} (${safeText(w.hostname)})` : w.ip;
      io.out(`  ${String(w.id).padStart(6)}  ${host}  ${safeText(w.text)}  [${w.scanner}]${MARK[w.action](w.of)}\n`);
    }
  }
}
