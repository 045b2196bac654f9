// The CLI as a process (dist/bin/portdelta.js, built by npm test): what only a real process shows.
// Every other CLI test runs main(argv, io) in-process (test/helpers/cli.ts); these check that bin/
// turns main's answer into the exit status (DESIGN §5: 0 nothing found, 1 --exit-code and changes
// found, 2 an error), that the program starts and answers --version/--help, that stdin is read, and
// that a reader closing the pipe early (`portdelta changes | head`) is not an error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, SCANS, spawnCli } from '../helpers/cli';
import { csvText, night, ports, up } from '../helpers/csv-scan';

const NIGHT1 = path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml');
const NIGHT2 = path.join(SCANS, 'lab-a/night2/scan-in/nmap-tcp.xml');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-process-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const store = (name: string) => `sqlite:${path.join(dir, `${name}.sqlite`)}`;

describe('start-up', () => {
  test('--version prints the version and exits 0', async () => {
    const r = await spawnCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  test('--help exits 0 and lists the commands', async () => {
    const r = await spawnCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['migrate', 'ingest', 'changes', 'state', 'hosts', 'report', 'watch', 'serve']) expect(r.stdout).toContain(cmd);
    expect(r.stderr).toBe('');
  });

  test('an unknown command exits 2 with a message on stderr and nothing on stdout', async () => {
    const r = await spawnCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  test('an ingest into SQLite loads neither the PostgreSQL driver nor the template engine', async () => {
    // Every command pays for what it loads at start; these two only some commands need.
    const list = path.join(dir, 'loaded.json');
    const preload = path.join(dir, 'record-loaded.js');
    fs.writeFileSync(preload, `if (require('worker_threads').isMainThread) process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const r = await spawnCli(['--db', store('loaded'), 'ingest', '--scanner', 'scan-in', NIGHT1], { env: { NODE_OPTIONS: `--require=${preload}` } });
    expect(r.code).toBe(0);
    const packages = new Set((JSON.parse(fs.readFileSync(list, 'utf8')) as string[]).map((f) => /node_modules\/([^/]+)\//.exec(f)?.[1]).filter(Boolean));
    expect(packages).toContain('knex');
    expect(packages).toContain('sqlite3');
    expect(packages).not.toContain('pg');
    expect(packages).not.toContain('handlebars');
  });

  test('the ingest command hands its parse threads their first part before it loads the database driver', async () => {
    // cli/ingest.ts begins the parse, then imports the store's module: knex takes 70 ms and more
    // to load (a blocking require), which the parse threads use. Recorded in the process itself:
    // the first part posted to a thread, and the first require of knex.
    const order = path.join(dir, 'order.json');
    const preload = path.join(dir, 'record-order.js');
    fs.writeFileSync(preload, `const { Worker, isMainThread } = require('worker_threads');
if (isMainThread) {
  const seen = [];
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (m, ...rest) { if (m && m.t === 'part' && !seen.includes('part')) seen.push('part'); return post.call(this, m, ...rest); };
  const Module = require('module');
  const load = Module._load;
  Module._load = function (request, ...rest) { if (request === 'knex' && !seen.includes('knex')) seen.push('knex'); return load.call(this, request, ...rest); };
  process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(order)}, JSON.stringify(seen)));
}
`);
    // About 3 MB: more than the read-ahead buffer, so the file is read in parts by the threads.
    const host = (i: number) => `<host><status state="up" reason="syn-ack"/>\n<address addr="10.7.${i >> 8}.${i & 255}" addrtype="ipv4"/>\n<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/></port></ports>\n</host>\n`;
    const big = path.join(dir, 'order.xml');
    fs.writeFileSync(big, `<?xml version="1.0"?>\n<nmaprun scanner="nmap" args="nmap -p 22 10.7.0.0/16" start="1700000000">\n${Array.from({ length: 16000 }, (_, i) => host(i)).join('')}<runstats><finished time="1700000100"/></runstats></nmaprun>\n`);
    const r = await spawnCli(['--db', store('order'), 'ingest', '--scanner', 'order', big], { env: { NODE_OPTIONS: `--require=${preload}` } });
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(order, 'utf8'))).toEqual(['part', 'knex']);
  });
});

describe('exit codes', () => {
  test('0: an ingest that found changes, without --exit-code', async () => {
    const r = await spawnCli(['--db', store('zero'), 'ingest', '--scanner', 'scan-in', NIGHT1]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/applied as scan 1 of scan-in/);
  });

  test('1: --exit-code and changes found; 0 when the same scan finds none', async () => {
    const db = store('one');
    expect((await spawnCli(['--db', db, 'ingest', '--scanner', 'scan-in', NIGHT1])).code).toBe(0);
    const found = await spawnCli(['--db', db, 'ingest', '--scanner', 'scan-in', '--exit-code', NIGHT2]);
    expect(found.code).toBe(1);
    expect(found.stderr).toBe('');
    const again = await spawnCli(['--db', db, 'ingest', '--scanner', 'scan-in', '--exit-code', NIGHT2]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/duplicate/);
  });

  test('2: a file that does not exist; nothing stored', async () => {
    const r = await spawnCli(['--db', store('two'), 'ingest', path.join(dir, 'no-such.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such\.xml/);
    expect(r.stderr).toMatch(/nothing of this file was stored/);
  });

  test('2: a usage error (a bad option value)', async () => {
    const r = await spawnCli(['--db', store('usage'), 'changes', '--since', 'the day before yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toBe('');
  });

  test('diff, like ndiff: 0 the same scan, 1 changes, 2 a file that does not exist; no database file made', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'diff-'));
    expect((await spawnCli(['diff', NIGHT1, NIGHT1], { cwd })).code).toBe(0);
    const changed = await spawnCli(['diff', NIGHT1, NIGHT2], { cwd });
    expect([changed.code, changed.stderr]).toEqual([1, '']);
    const missing = await spawnCli(['diff', NIGHT1, path.join(dir, 'no-such.xml')], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/B \(.*no-such\.xml\)/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

test("stdin: `ingest -` reads the process's own stdin", async () => {
  const r = await spawnCli(['--db', store('stdin'), 'ingest', '--scanner', 'scan-in', '--json', '-'], { input: fs.readFileSync(NIGHT1) });
  expect(r.code).toBe(0);
  const [s] = JSON.parse(r.stdout) as Array<{ source: string; status: string; ports_open: number }>;
  expect(s).toMatchObject({ source: '-', status: 'applied' });
  expect(s.ports_open).toBeGreaterThan(0);
});

test('stdin: a store that cannot be opened is said at once, while the scan piped in is still running', async () => {
  // `nmap -oX - … | portdelta ingest -`: the scan's first bytes, then nothing for hours. The store
  // is opened before stdin is read, so a wrong --db fails now, not when the scan ends.
  const bad = `sqlite:${path.join(NIGHT1, 'store.sqlite')}`;
  const child = spawn(process.execPath, [BIN, '--db', bad, 'ingest', '--scanner', 'scan-in', '-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined); // the command may end before it reads what was written
  child.stdin.write(fs.readFileSync(NIGHT1).subarray(0, 4000));
  try {
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/store\.sqlite/);
  } finally {
    child.stdin.destroy();
    child.kill();
  }
});

test('a reader that closes the pipe early (`changes | head -c 1`) ends the command with 0 and no message', async () => {
  const db = store('epipe');
  // Twenty hosts with 100 open ports each: 2,020 new_host/new_port changes.
  const rows = Array.from({ length: 20 }, (_, i) => [up(`10.9.0.${i + 1}`), ...ports(`10.9.0.${i + 1}`, 1, 100)]).flat();
  const scan = path.join(dir, 'many.csv');
  fs.writeFileSync(scan, csvText({ started: night(1), rows }));
  expect((await spawnCli(['--db', db, 'ingest', '--scanner', 'many', scan])).code).toBe(0);
  // The whole listing is larger than a pipe's buffer, so the writer is still writing when head exits.
  const full = await spawnCli(['--db', db, 'changes', '--json']);
  expect(full.stdout.length).toBeGreaterThan(65536);
  const r = await new Promise<{ status: string; stderr: string }>((resolve, reject) => {
    const sh = spawn('bash', ['-c', `"$0" "$1" --db "$2" changes --json | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`, process.execPath, BIN, db], {
      cwd: ROOT,
      env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '' },
    });
    let out = '';
    let err = '';
    sh.stdout.on('data', (d) => (out += d));
    sh.stderr.on('data', (d) => (err += d));
    sh.on('error', reject);
    sh.on('close', () => resolve({ status: out.trim(), stderr: err }));
  });
  expect(r).toEqual({ status: '0', stderr: '' });
});
