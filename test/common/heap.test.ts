// collectIfLarge (common/heap.ts) in a process of its own (a jest worker's heap is already large):
// a small heap is left alone; a large one that is mostly garbage is collected, and shrinks.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const HEAP = path.resolve(__dirname, '../../dist/common/heap.js');

function run(script: string): { before: number; after: number; collected: boolean } {
  const out = execFileSync(process.execPath, ['-e', `
    const v8 = require('node:v8');
    const { collectIfLarge } = require(${JSON.stringify(HEAP)});
    ${script}
    const before = v8.getHeapStatistics().used_heap_size;
    const collected = collectIfLarge();
    const after = v8.getHeapStatistics().used_heap_size;
    process.stdout.write(JSON.stringify({ before, after, collected }));
  `]);
  return JSON.parse(out.toString()) as { before: number; after: number; collected: boolean };
}

test('a small heap is left to V8', () => {
  const r = run('');
  expect(r.before).toBeLessThan(32 << 20);
  expect(r.collected).toBe(false);
});

test('a heap of more than 32 MB, mostly garbage kept past young collections, is collected in full', () => {
  // Rows kept for a while, as a walk keeps a page, then dropped: they reach the old generation.
  const r = run(`
    let keep = [];
    const pages = [];
    for (let i = 0; i < 60; i++) {
      const page = Array.from({ length: 5000 }, (_, j) => ({ ip_key: 'k' + i + '-' + j, n: j, s: 'x'.repeat(20) + j }));
      pages.push(page);
      if (pages.length > 20) pages.shift();
    }
    pages.length = 0;
  `);
  expect(r.before).toBeGreaterThan(32 << 20);
  expect(r.collected).toBe(true);
  expect(r.after).toBeLessThan(r.before / 2);
});
