// collectIfLarge (common/heap.ts) in a process of its own (a jest worker's heap is already large):
// a small heap is left alone; a large one that is mostly garbage, rows or buffers, is collected;
// a process that keeps much alive is collected once, then only when it grew again.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { GROWTH } from '../../common/heap';

const HEAP = path.resolve(__dirname, '../../dist/common/heap.js');

interface Sizes { heap: number; buffers: number }

interface Run { before: Sizes; after: Sizes; collected: boolean; calls?: unknown }

/** Runs `script`, then collectIfLarge once more; `extra` names a global of the script's to return as `calls`. */
function run(script: string, extra?: string): Run {
  const out = execFileSync(process.execPath, ['-e', `
    const { collectIfLarge } = require(${JSON.stringify(HEAP)});
    const sizes = () => { const m = process.memoryUsage(); return { heap: m.heapUsed, buffers: m.arrayBuffers }; };
    ${script}
    const before = sizes();
    const collected = collectIfLarge();
    // Buffers are freed by a sweep that runs beside the program, just after the collection.
    setTimeout(() => process.stdout.write(JSON.stringify({ before, after: sizes(), collected, calls: ${extra ? `globalThis.${extra}` : 'undefined'} })), 200);
  `]);
  return JSON.parse(out.toString()) as Run;
}

const total = (s: Sizes) => s.heap + s.buffers;

test('a small heap is left to V8', () => {
  const r = run('');
  expect(total(r.before)).toBeLessThan(GROWTH);
  expect(r.collected).toBe(false);
  expect(r.after.heap).toBeGreaterThan(0);
});

test('rows kept past young collections, then dropped, are collected in full', () => {
  // As a walk keeps a page of rows while it waits for the database: they reach the old generation.
  const r = run(`
    const pages = [];
    for (let i = 0; i < 150; i++) {
      pages.push(Array.from({ length: 5000 }, (_, j) => ({ ip_key: 'k' + i + '-' + j, n: j, s: 'x'.repeat(20) + j })));
      if (pages.length > 40) pages.shift();
    }
    pages.length = 0;
  `);
  expect(total(r.before)).toBeGreaterThan(GROWTH);
  expect(r.collected).toBe(true);
  expect(r.after.heap).toBeLessThan(r.before.heap / 2);
});

test('a process that keeps much alive is collected once, then only after it grew by as much again', () => {
  const r = run(`
    globalThis.kept = Array.from({ length: 1200000 }, (_, j) => ({ ip_key: 'k' + j, n: j }));
    const first = collectIfLarge();
    const again = collectIfLarge();
    let garbage = Array.from({ length: 300000 }, (_, j) => ({ ip_key: 'g' + j, n: j }));
    const small = collectIfLarge();
    garbage = Array.from({ length: 1200000 }, (_, j) => ({ ip_key: 'h' + j, n: j }));
    const grown = collectIfLarge();
    globalThis.calls = { first, again, small, grown };
  `, 'calls');
  expect(r.calls).toEqual({ first: true, again: false, small: false, grown: true });
});

test("buffers nothing refers to any more count, and are freed", () => {
  // As the file's parts wait their turn while events are made: alive across young collections.
  const r = run(`
    const parts = [];
    let events = [];
    for (let i = 0; i < 400; i++) {
      parts.push(Buffer.alloc(256 << 10, i));
      if (parts.length > 120) parts.shift();
      events = Array.from({ length: 2000 }, (_, j) => ({ ip: 'h' + i + '.' + j }));
    }
    parts.length = 0;
    events = [];
  `);
  expect(total(r.before)).toBeGreaterThan(GROWTH);
  expect(r.collected).toBe(true);
  expect(r.after.buffers).toBeLessThan(r.before.buffers / 2);
});
