// The dashboard step's figures: its table (one row per page, size and database) and its targets
// (issue 14: every page's p95 ≤ 500 ms on the /12, serve's peak RSS ≤ 300 MB).
import { dbLabel, fmt } from './format';
import type { Table } from './report-table';
import type { DashboardRun, TargetRow } from './results';

const TARGET = { p95Ms: 500, rssMb: 300, size: 12 };

export function dashboardTable(runs: readonly DashboardRun[]): Table {
  const head = ['size', 'db', 'page', 'URL', 'status', 'first ms', 'n', 'p50 ms', 'p95 ms', 'max ms', 'KiB'];
  const rows = runs.flatMap((r) => r.pages.map((p) => [
    `/${r.size}`, dbLabel(r.db), p.name, p.path, String(p.status), fmt(p.warmMs, 0), String(p.n), fmt(p.p50, 0), fmt(p.p95, 0), fmt(p.max, 0), fmt(p.bytes / 1024, 0),
  ]));
  return { head, rows };
}

/** serve's peak RSS per run, one line each. */
export function dashboardRss(runs: readonly DashboardRun[]): string[] {
  return runs.map((r) => `/${r.size} ${dbLabel(r.db)}: serve peak RSS ${fmt(r.rssMb, 0)} MB${r.error ? ` (step failed: ${r.error})` : ''}${r.note ? `; ${r.note}` : ''}`);
}

function p95Targets(runs: readonly DashboardRun[]): TargetRow[] {
  return runs.filter((r) => r.pages.length > 0).map((r) => {
    const worst = r.pages.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    const over = r.pages.filter((p) => p.p95 > TARGET.p95Ms).map((p) => `${p.name} ${fmt(p.p95, 0)}`);
    const suffix = r.size === TARGET.size ? '' : ` — the target is set for the /${TARGET.size}`;
    return {
      target: `dashboard p95 ≤ ${TARGET.p95Ms} ms, every page, ${dbLabel(r.db)} (/${r.size})${suffix}`,
      measured: `worst ${worst.name} ${fmt(worst.p95, 0)} ms${over.length ? `; over: ${over.join(', ')} ms` : ''}`,
      met: r.size === TARGET.size ? over.length === 0 && r.error === null : null,
    };
  });
}

function rssTarget(runs: readonly DashboardRun[]): TargetRow[] {
  const known = runs.filter((r) => r.rssMb !== null);
  const unknown = runs.filter((r) => r.rssMb === null).map((r) => `/${r.size} ${dbLabel(r.db)}`);
  if (runs.length === 0) return [];
  const worst = known.length ? known.reduce((a, b) => (b.rssMb! > a.rssMb! ? b : a)) : null;
  return [{
    target: `serve peak RSS ≤ ${TARGET.rssMb} MB (dashboard step, all sizes)`,
    measured: `${worst ? `${fmt(worst.rssMb, 0)} MB (/${worst.size} ${dbLabel(worst.db)})` : 'n/a'}${unknown.length ? `; not measured: ${unknown.join(', ')}` : ''}`,
    // a serve whose figures are missing (its step failed) cannot be said to meet it
    met: worst !== null && worst.rssMb! <= TARGET.rssMb && unknown.length === 0,
  }];
}

export function dashboardTargets(runs: readonly DashboardRun[]): TargetRow[] {
  return [...p95Targets(runs), ...rssTarget(runs)];
}
