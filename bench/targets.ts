// The targets, measured: issue 3's parse speed and scaling; issue 17's night-2 ingest against
// ndiff and peak RSS (its ratios to parse-only and to the baseline are in ratio-targets.ts).
import { dbLabel, fmt, mb } from './format';
import type { DbKind } from './options';
import { ratioTargets } from './ratio-targets';
import { isPlainNight, type SizeInfo, type StepResult, type TargetRow } from './results';

const TARGET = { parseMBs: 60, rssMb: 256, scale: 18 };
/** Night-2 ingest ≤ this × ndiff, per database and the sizes where it is judged (issue 17). */
const NDIFF: Record<DbKind, Record<number, number>> = { sqlite: { 12: 0.2, 16: 0.35 }, pg: { 12: 0.3 } };

const DBS: readonly DbKind[] = ['sqlite', 'pg'];

function parseTargets(infos: readonly SizeInfo[]): TargetRow[] {
  const out: TargetRow[] = [];
  for (const i of infos) {
    if (!i.parse || i.parse.code !== 0 || !i.parse.parseS) continue;
    // the parser's throughput: timed inside the process, so a fixed start-up does not hide it at small sizes
    const v = mb(i.parse.bytes) / i.parse.parseS;
    const w = mb(i.parse.bytes) / i.parse.wall;
    out.push({ target: `parse ≥ ${TARGET.parseMBs} MB/s (/${i.size})`, measured: `${fmt(v, 1)} MB/s parsing (${fmt(i.parse.parseS)} s); ${fmt(w, 1)} MB/s counting process start-up (${fmt(i.parse.wall)} s)`, met: v >= TARGET.parseMBs });
  }
  return out;
}

function ndiffTargets(results: readonly StepResult[], infos: readonly SizeInfo[]): TargetRow[] {
  const out: TargetRow[] = [];
  for (const i of infos) {
    if (!i.ndiff) continue;
    const ndiffWall = i.ndiff.wall;
    for (const db of DBS) {
      const r = results.find((x) => x.size === i.size && x.db === db && isPlainNight(x, 2));
      if (!r) continue;
      const judged = NDIFF[db][i.size] !== undefined;
      const limit = NDIFF[db][i.size] ?? NDIFF[db][12];
      const name = `night-2 ingest ≤ ${limit} × ndiff, ${dbLabel(db)} (/${i.size})`;
      const suffix = judged ? '' : ' — the target is set for the /12';
      if (r.timedOut) {
        const lim = r.limit ?? 0;
        out.push({ target: name + suffix, measured: `> ${fmt(lim / ndiffWall, 1)} × (timed out after ${lim} s vs ${fmt(ndiffWall)} s)`, met: judged ? false : null });
        continue;
      }
      const ratio = (r.wall ?? NaN) / ndiffWall;
      out.push({ target: name + suffix, measured: `${fmt(ratio, 3)} × (${fmt(r.wall)} s vs ${fmt(ndiffWall)} s)`, met: judged ? ratio <= limit : null, ratio });
    }
  }
  return out;
}

function rssTargets(results: readonly StepResult[]): TargetRow[] {
  // the build measured: every ingest and the parse; not ndiff, not the --baseline build
  const own = results.filter((r) => (r.db !== '-' || r.step.startsWith('parse')) && r.baseline === undefined);
  if (!own.length) return [];
  const worst = own.reduce((a, b) => ((b.rssMb ?? 0) > (a.rssMb ?? 0) ? b : a));
  return [{ target: `peak RSS ≤ ${TARGET.rssMb} MB (every parse and ingest process of the build measured, both databases, all sizes)`, measured: `${fmt(worst.rssMb, 0)} MB (/${worst.size} ${worst.db} ${worst.step})`, met: worst.rssMb !== null && worst.rssMb <= TARGET.rssMb }];
}

/** The steps compared across sizes: [db, night or step name, label]. */
function scaledSteps(): [DbKind | '-', number | string, string][] {
  const pairs: [DbKind | '-', number | string, string][] = [['-', 'parse night2', 'parse']];
  for (const db of DBS) for (const k of [0, 1, 2]) pairs.push([db, k, `${dbLabel(db)} ingest night${k}`]);
  return pairs;
}

/** Scaling: a size 4 prefix bits bigger is 16 × the work, and may cost at most 18 × the time. */
function scaleTargets(results: readonly StepResult[], sizes: readonly number[]): TargetRow[] {
  const out: TargetRow[] = [];
  const pick = (size: number, db: DbKind | '-', step: number | string): StepResult | undefined =>
    typeof step === 'number' ? results.find((r) => r.size === size && r.db === db && isPlainNight(r, step)) : results.find((r) => r.size === size && r.step === step);
  for (const small of sizes) {
    const big = small - 4;
    if (!sizes.includes(big)) continue;
    for (const [db, step, label] of scaledSteps()) {
      const a = pick(small, db, step);
      const b = pick(big, db, step);
      if (!a || !b || a.timedOut) continue;
      const target = `16 × the work ≤ ${TARGET.scale} × the time: ${label} /${big} vs /${small}`;
      const aWall = a.wall ?? NaN;
      if (b.timedOut) {
        out.push({ target, measured: `> ${fmt((b.limit ?? 0) / aWall, 1)} × (timed out)`, met: false });
        continue;
      }
      const f = (b.wall ?? NaN) / aWall;
      out.push({ target, measured: `${fmt(f, 2)} × (${fmt(b.wall)} s vs ${fmt(a.wall)} s)`, met: f <= TARGET.scale });
    }
  }
  return out;
}

/** The cost of version data (issue 15): the -sV night-2 ingest against the plain one of the same run. Informative. */
export function versionTargets(results: readonly StepResult[]): TargetRow[] {
  const out: TargetRow[] = [];
  for (const sv of results.filter((r) => r.sv && r.night === 2)) {
    const plain = results.find((r) => r.size === sv.size && r.db === sv.db && isPlainNight(r, 2));
    if (!plain || sv.wall === null || plain.wall === null) continue;
    const ratio = sv.wall / plain.wall;
    const cpu = sv.cpu === null || plain.cpu === null ? '' : `; CPU ${fmt(sv.cpu)} s vs ${fmt(plain.cpu)} s`;
    const srv = sv.srvCpu == null || plain.srvCpu == null ? '' : `; server CPU ${fmt(sv.srvCpu)} s vs ${fmt(plain.srvCpu)} s`;
    out.push({ target: `cost of version data: -sV night-2 ingest vs plain, ${dbLabel(sv.db)} (/${sv.size})`, measured: `${fmt(ratio, 2)} × (${fmt(sv.wall)} s vs ${fmt(plain.wall)} s${cpu}${srv})`, met: null, ratio });
  }
  return out;
}

/** Every target the run's results say something about, in the document's order. */
export function targets(results: readonly StepResult[], sizes: readonly number[], infos: readonly SizeInfo[]): TargetRow[] {
  return [...parseTargets(infos), ...ndiffTargets(results, infos), ...ratioTargets(results), ...rssTargets(results), ...scaleTargets(results, sizes), ...versionTargets(results)];
}
