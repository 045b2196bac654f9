// Copies non-TypeScript assets (templates, bundled demo scans, data) next to the compiled JS.
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const assets = [['output-agents/templates', 'dist/output-agents/templates'], ['common/data', 'dist/common/data'], ['demo/lab-a', 'dist/demo/lab-a'], ['server/pages/assets', 'dist/server/pages/assets']];
for (const [from, to] of assets) {
  const src = path.join(root, from);
  if (fs.existsSync(src)) fs.cpSync(src, path.join(root, to), { recursive: true });
}
// The bin must be executable where npm does not link it (npx in a clone runs it directly).
fs.chmodSync(path.join(root, 'dist/bin/portdelta.js'), 0o755);
