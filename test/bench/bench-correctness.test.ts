// The bench's correctness check at a small size (issue 3): three generated nights of a full-port
// scan of 10.0.0.0/20, ingested one by one, must give exactly the changes the generator's own model
// expects, on SQLite and on PostgreSQL. No timing here: `npm run bench` measures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cliJson } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';
import { generate } from '../../bench/generate';
import { diffRows, describeDiff, summaryCounts } from '../../bench/compare';

type Row = ChangeRow;
interface Expected {
  night: number;
  file: string;
  hosts_up: number;
  ports_open: number;
  change_count: number;
  counts: Record<string, number>;
  rows: Row[];
}
interface Summary {
  status: string;
  scan_id: number;
  complete: boolean;
  hosts_up: number;
  ports_open: number;
  change_count: number;
  changes: Record<string, number>;
}

const PREFIX = 20;
let fixture: { dir: string; config: string; nights: Expected[] } | undefined;
const dirs: string[] = [];

function scans(): NonNullable<typeof fixture> {
  if (fixture) return fixture;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-'));
  dirs.push(dir);
  const manifest = generate({ prefix: PREFIX, outDir: dir, seed: 1 });
  const nights: Expected[] = manifest.nights.map((n: { expected: string }) => JSON.parse(fs.readFileSync(path.join(dir, n.expected), 'utf8')));
  const config = path.join(dir, 'portdelta.yaml');
  fs.writeFileSync(config, 'scanners:\n  bench:\n    open_after: 1\n    close_after: 1\n    down_after: 1\n');
  fixture = { dir, config, nights };
  return fixture;
}

afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const kinds = (rows: Row[]) => new Set(rows.map((r) => `${r.type}${r.returning ? 'r' : ''}`));

describe('bench generator', () => {
  test('night 2 holds every kind of change, and night 0 only new hosts and their ports', () => {
    const { nights } = scans();
    expect(nights.map((n) => n.rows.length)).toEqual(nights.map((n) => n.change_count));
    expect([...kinds(nights[0].rows)].sort()).toEqual(['1', '9']);
    // 1 new host, 1r returning host, 5r returning and renamed, 2 host down, 4 renamed, 8 new port,
    // 9 port of a new host, 9r never-seen port of a returning host, 33r re-opened port of a returning
    // host, 16 closed, 18 port of a host gone down, 32 re-opened
    const want = ['1', '1r', '5r', '2', '4', '8', '9', '9r', '33r', '16', '18', '32'];
    expect(want.filter((k) => !kinds(nights[2].rows).has(k))).toEqual([]);
    const up = nights[1].hosts_up;
    for (const t of [1, 2, 4, 8, 16, 32]) {
      const hosts = new Set(nights[2].rows.filter((r) => r.type & t).map((r) => r.ip)).size;
      expect({ type: t, enough: hosts >= 5 && hosts <= 0.05 * up }).toEqual({ type: t, enough: true });
    }
  });

  test('is deterministic', () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-'));
    dirs.push(a, b);
    generate({ prefix: 24, outDir: a, seed: 7 });
    generate({ prefix: 24, outDir: b, seed: 7 });
    for (const f of ['night0.xml', 'night1.xml', 'night2.xml', 'expected-night2.json']) {
      expect(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)))).toBe(true);
    }
  });
});

forEachDb('bench correctness at /20', (db) => {
  test('three nights ingested one by one give exactly the modelled changes', async () => {
    const { dir, config, nights } = scans();
    const url = db.fresh();
    let lastId = 0;
    for (const exp of nights) {
      const [s] = await cliJson<Summary[]>(['--db', url, '--config', config, 'ingest', '--scanner', 'bench', path.join(dir, exp.file)]);
      expect({ night: exp.night, status: s.status, complete: s.complete, hosts_up: s.hosts_up, ports_open: s.ports_open, change_count: s.change_count, changes: s.changes })
        .toEqual({ night: exp.night, status: 'applied', complete: true, hosts_up: exp.hosts_up, ports_open: exp.ports_open, change_count: exp.change_count, changes: summaryCounts(exp.counts) });
      const rows = await cliJson<Row[]>(['--db', url, 'changes', '--after-id', String(lastId)]);
      expect(rows.filter((r) => r.scan_id !== s.scan_id || r.scanner !== 'bench')).toEqual([]);
      const d = diffRows(exp.rows, rows);
      expect({ night: exp.night, diff: d.ok ? 'none' : describeDiff(d) }).toEqual({ night: exp.night, diff: 'none' });
      lastId = rows.reduce((m, r) => Math.max(m, r.id), lastId);
    }
  });
});
