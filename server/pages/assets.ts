// The dashboard's scripts and styles, served by portdelta itself (no CDN; it works offline): uPlot's
// dist files from its npm package, and our own small dashboard.js and dashboard.css next to this file
// (copied into dist by tools/copy-assets.js). Read once, on first use.
import fs from 'node:fs';
import path from 'node:path';

const FILES: Readonly<Record<string, { file: () => string; type: string }>> = {
  'uPlot.iife.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: () => path.join(__dirname, 'assets', 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: () => path.join(__dirname, 'assets', 'dashboard.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, string>();

/** The asset's text and type, or null for a name that is not one. */
export function asset(name: string): { text: string; type: string } | null {
  const a = Object.prototype.hasOwnProperty.call(FILES, name) ? FILES[name] : undefined;
  if (!a) return null;
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(a.file(), 'utf8');
    cache.set(name, text);
  }
  return { text, type: a.type };
}
