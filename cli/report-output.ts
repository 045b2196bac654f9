// What `report` (and `run`) print about each output agent: one line each, or the dry run's list.
import type { AgentResult } from '../output-agents/runner';
import type { Io } from './io';
import { safeText } from '../common/safe-text';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function counts(r: AgentResult, verb: string): string {
  const parts: string[] = [];
  if (r.delivered) parts.push(`${plural(r.delivered, 'change')} ${verb}${r.confirmed ? ` (${r.confirmed} confirming a known change)` : ''}`);
  if (r.baseline) parts.push(`${plural(r.baseline, 'baseline change')} ${verb} as a summary per scanner`);
  if (r.suppressed) parts.push(`${r.suppressed} suppressed as already reported to the target group`);
  if (r.expected) parts.push(`${r.expected} expected by the policy, not sent`);
  return parts.join(', ');
}

const waiting = (r: AgentResult) => (r.waiting ? `; ${r.waiting} more waiting for the next run (max_changes)` : '');

/** One line per agent; the remedy of a failure, if any, is `remedyLine`. */
export function agentLine(r: AgentResult): string {
  const who = `${r.agent} (${r.kind})`;
  if (r.status === 'failed' && r.unrecorded) return `${who}: FAILED: ${safeText(r.error)}`;
  if (r.status === 'failed') {
    const sent = r.delivered ? `; ${plural(r.delivered, 'change')} delivered before it failed` : '';
    return `${who}: FAILED: ${safeText(r.error)}${sent}; ${r.retry ? `${plural(r.retry, 'change')} ` : 'it '}will be retried on the next run`;
  }
  if (r.status === 'dry-run') return `${who}: would take ${plural(r.would?.length ?? 0, 'change')}${r.would?.length ? `: ${counts(r, 'to send')}` : ''}${waiting(r)}`;
  return `${who}: ${counts(r, 'delivered') || 'nothing new'}${waiting(r)}`;
}

export const remedyLine = (r: AgentResult): string | null => (r.remedy ? `  remedy: ${safeText(r.remedy)}` : null);

const MARK: Record<string, (of?: number) => string> = {
  deliver: () => '',
  confirms: (of) => `  [confirms change ${of}]`,
  duplicate: (of) => `  [duplicate of change ${of}: suppressed]`,
  expected: () => '  [expected by the policy: suppressed]',
  baseline: () => '  [baseline: in the summary of its scanner]',
};

export function printAgentResults(io: Io, results: AgentResult[]): void {
  for (const r of results) {
    io.out(agentLine(r) + '\n');
    const remedy = remedyLine(r);
    if (remedy) io.out(remedy + '\n');
    for (const w of r.would ?? []) {
      const where = w.ip ?? `scanner ${safeText(w.scanner)}`;
      const host = w.hostname ? `${where} (${safeText(w.hostname)})` : where;
      io.out(`  ${String(w.id).padStart(6)}  ${host}  ${safeText(w.text)}  [${w.scanner}]${MARK[w.action](w.of)}\n`);
    }
  }
}
