// Issue 17's ratios within one run, each against a step of the same run and size: the no-change
// night and the night-2 ingest against parse-only of night2.xml (wall against wall), and the
// first load against the --baseline build's first load on the same database.
import { dbLabel, fmt } from './format';
import { isPlainNight, type StepResult, type TargetRow } from './results';

const LIMIT = { noChange: 1.2, night2: 2.0, firstLoad: 0.6 };

/** Where a target is set; elsewhere its row is shown, not judged. */
const JUDGED = {
  noChange: (r: StepResult): boolean => r.db === 'sqlite' && (r.size === 12 || r.size === 16),
  night2: (r: StepResult): boolean => r.db === 'sqlite' && r.size === 12,
  firstLoad: (r: StepResult): boolean => r.db === 'sqlite' && r.size === 12,
};

const where = (r: StepResult, sizes: string): string => (r.db === 'sqlite' ? ` — the target is set for the ${sizes}` : ' — the target is set for SQLite');

/** `a`'s wall time against `b`'s, judged against `limit` when `judged`. */
function ratioRow(target: string, a: StepResult, b: StepResult, limit: number, judged: boolean, against: string): TargetRow {
  if (a.wall === null || b.wall === null) {
    const slow = a.wall === null ? `> ${fmt((a.limit ?? 0) / (b.wall ?? NaN), 1)} × (timed out)` : `n/a (${against} timed out)`;
    return { target, measured: slow, met: judged ? false : null };
  }
  const ratio = a.wall / b.wall;
  return { target, measured: `${fmt(ratio, 2)} × (${fmt(a.wall)} s vs ${against} ${fmt(b.wall)} s)`, met: judged ? ratio <= limit : null, ratio };
}

const parseOf = (results: readonly StepResult[], size: number): StepResult | undefined => results.find((x) => x.size === size && x.db === '-' && x.step.startsWith('parse'));

function noChangeTargets(results: readonly StepResult[]): TargetRow[] {
  return results.filter((r) => r.redated).flatMap((r) => {
    const parse = parseOf(results, r.size);
    if (!parse) return [];
    const judged = JUDGED.noChange(r);
    const target = `no-change night ≤ ${LIMIT.noChange} × parse-only, ${dbLabel(r.db)} (/${r.size})${judged ? '' : where(r, '/12 and /16')}`;
    return [ratioRow(target, r, parse, LIMIT.noChange, judged, 'parse')];
  });
}

function night2Targets(results: readonly StepResult[]): TargetRow[] {
  return results.filter((r) => r.db === 'sqlite' && isPlainNight(r, 2)).flatMap((r) => {
    const parse = parseOf(results, r.size);
    if (!parse) return [];
    const judged = JUDGED.night2(r);
    return [ratioRow(`/${r.size} night-2 ingest ≤ ${fmt(LIMIT.night2, 1)} × parse-only, SQLite${judged ? '' : where(r, '/12')}`, r, parse, LIMIT.night2, judged, 'parse')];
  });
}

function firstLoadTargets(results: readonly StepResult[]): TargetRow[] {
  return results.filter((r) => r.db !== '-' && isPlainNight(r, 0)).map((r) => {
    const judged = JUDGED.firstLoad(r);
    const target = `/${r.size} first load ≤ ${LIMIT.firstLoad} × baseline, ${dbLabel(r.db)}${judged ? '' : where(r, '/12')}`;
    const base = results.find((x) => x.size === r.size && x.db === r.db && x.night === 0 && x.baseline !== undefined);
    if (!base) return { target, measured: 'not measured (run with --baseline REF)', met: null };
    return ratioRow(target, r, base, LIMIT.firstLoad, judged, `baseline ${base.baseline}`);
  });
}

export function ratioTargets(results: readonly StepResult[]): TargetRow[] {
  return [...night2Targets(results), ...noChangeTargets(results), ...firstLoadTargets(results)];
}
