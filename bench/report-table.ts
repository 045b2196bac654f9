// The results table, as Markdown for the document and as aligned text for the terminal.
import { dbLabel, fmt, fmtInt, mb } from './format';
import type { StepResult } from './results';

export interface Table {
  head: string[];
  rows: string[][];
}

/** A timed-out step has no wall time: its rates are upper bounds from the limit it ran into. */
function rates(r: StepResult): [string, string, string] {
  if (r.timedOut) {
    const limit = r.limit ?? 0;
    return [`> ${limit}`, `< ${fmtInt(r.obs / limit)}`, `< ${fmt(mb(r.bytes) / limit, 1)}`];
  }
  const wall = r.wall ?? NaN;
  return [fmt(r.wall), fmtInt(r.obs / wall), fmt(mb(r.bytes) / wall, 1)];
}

export function resultsTable(results: readonly StepResult[]): Table {
  const head = ['size', 'db', 'step', 'wall s', 'CPU s', 'server CPU s', 'peak RSS MB', 'obs/s', 'MB/s', 'changes', 'check'];
  const rows = results.map((r) => {
    const [wall, obsS, mbS] = rates(r);
    return [
      `/${r.size}`, dbLabel(r.db), r.step, wall, fmt(r.cpu), r.srvCpu == null ? '-' : fmt(r.srvCpu), fmt(r.rssMb, 0),
      obsS, mbS, r.changes === null ? '-' : fmtInt(r.changes), r.check,
    ];
  });
  return { head, rows };
}

export function markdownTable({ head, rows }: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function textTable({ head, rows }: Table): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
