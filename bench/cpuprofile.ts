// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, top N.
//   node dist/bench/cpuprofile.js FILE.cpuprofile [N [DIST_ROOT]]
import fs from 'node:fs';
import path from 'node:path';

/** The parts of V8's .cpuprofile format read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

interface ProfileRow {
  name: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  rows: ProfileRow[];
}

/** A source location short enough to read: package path, dist/ path, or the file name. */
function shortUrl(url: string, rootUrl: string | null): string {
  if (url.includes('node_modules/')) return url.slice(url.lastIndexOf('node_modules/') + 13);
  if (rootUrl && url.startsWith(rootUrl)) return `dist/${url.slice(rootUrl.length)}`;
  return url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 1) : path.basename(url);
}

/** [{name, where, ms, pct}] sorted by self time, plus the total. */
export function summarise(file: string, top = 25, root: string | null = null): ProfileSummary {
  const rootUrl = root ? path.resolve(root) + path.sep : null;
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    if (!n) continue; // a sample always names a node; a damaged file is not worth a crash
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const cf = n.callFrame;
    const url = cf.url ? cf.url.replace(/^file:\/\//, '') : '';
    const where = url ? `${shortUrl(url, rootUrl)}:${cf.lineNumber + 1}` : '';
    const k = `${cf.functionName || '(anonymous)'}\u0000${where}`;
    self.set(k, (self.get(k) ?? 0) + dt);
  }
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => {
      const [name, where] = k.split('\u0000');
      return { name, where, ms: us / 1000, pct: (100 * us) / total };
    });
  return { totalMs: total / 1000, rows };
}

if (require.main === module) {
  const { totalMs, rows } = summarise(process.argv[2], Number(process.argv[3] ?? 25), process.argv[4] ?? null);
  console.log(`total sampled ${totalMs.toFixed(0)} ms`);
  for (const r of rows) console.log(`${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)} %  ${r.name}  ${r.where}`);
}
