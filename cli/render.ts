// Text output for people: aligned columns, nothing the network sent is printed unquoted-raw
// (common/safe-text.ts escapes control characters so a hostile hostname cannot move the terminal cursor).
import type { Io } from './io';

export function table(io: Io, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  io.out(line(header) + '\n');
  for (const r of rows) io.out(line(r) + '\n');
}

export function json(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}
