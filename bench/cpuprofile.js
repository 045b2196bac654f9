#!/usr/bin/env node
'use strict';
// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, top N.
//   node bench/cpuprofile.js FILE.cpuprofile [N [DIST_ROOT]]
const fs = require('node:fs');
const path = require('node:path');

/** [{name, where, ms, pct}] sorted by self time, plus the total. */
function summarise(file, top = 25, root = null) {
  const rootUrl = root ? path.resolve(root) + path.sep : null;
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const cf = n.callFrame;
    const url = cf.url ? cf.url.replace(/^file:\/\//, '') : '';
    const short = url.includes('node_modules/') ? url.slice(url.lastIndexOf('node_modules/') + 13)
      : rootUrl && url.startsWith(rootUrl) ? `dist/${url.slice(rootUrl.length)}`
        : url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 1) : path.basename(url);
    const where = url ? `${short}:${cf.lineNumber + 1}` : '';
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

module.exports = { summarise };

if (require.main === module) {
  const { totalMs, rows } = summarise(process.argv[2], Number(process.argv[3] ?? 25), process.argv[4] ?? null);
  console.log(`total sampled ${totalMs.toFixed(0)} ms`);
  for (const r of rows) console.log(`${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)} %  ${r.name}  ${r.where}`);
}
