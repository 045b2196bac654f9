// A batch as records, one per change and one per baseline summary (ahead of the changes, as the
// JSON Lines of the file kind have them), each with what a transport needs beside its text: the
// change ids it stands for, its stable id, type, severity, scanner and policy verdict.
import { baselineRecord } from '../overview';
import type { ChangeBatch } from '../types';
import { baselineFacts, changeFacts, type SiemFacts } from './facts';
import type { SiemFormat } from './types';

export interface SiemRecord extends Pick<SiemFacts, 'id' | 'action' | 'severity' | 'scanner' | 'verdict'> {
  text: string;
  ids: number[];
}

/** `json`: portdelta's own record (the change as `changes --json` has it, or the baseline summary). */
export function siemRecords(batch: ChangeBatch, format: SiemFormat | 'json'): SiemRecord[] {
  const now = batch.generatedAt;
  const baselines = (batch.baselines ?? []).map((b) => ({ facts: baselineFacts(b, batch.agent, now), ids: b.change_ids, own: baselineRecord(b) as object }));
  const changes = batch.changes.map((c) => ({ facts: changeFacts(c, batch.agent, now), ids: [c.id], own: c as object }));
  return [...baselines, ...changes].map(({ facts, ids, own }) => ({
    text: format === 'json' ? JSON.stringify(own) : format.record(facts),
    ids,
    id: facts.id,
    action: facts.action,
    severity: facts.severity,
    scanner: facts.scanner,
    verdict: facts.verdict,
  }));
}
