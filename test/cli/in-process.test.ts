// The in-process runner (test/helpers/cli.ts) itself: a command gets its own environment, directory
// and stdin, the test's are given back afterwards, and two commands at once are refused rather
// than silently run one after the other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT, SCANS } from '../helpers/cli';

const NIGHT1 = path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-inproc-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('two commands at once are refused, naming spawnCli', async () => {
  const db = `sqlite:${path.join(dir, 'both.sqlite')}`;
  const first = cli(['--db', db, 'migrate']);
  await expect(cli(['--db', db, 'state'])).rejects.toThrow(/cannot overlap.*spawnCli/);
  expect((await first).code).toBe(0);
});

test("PORTDELTA_DB and the directory are the command's, and the test's come back", async () => {
  const envBefore = { ...process.env };
  const cwdBefore = process.cwd();
  const r = await cli(['ingest', '--scanner', 'scan-in', 'relative.xml'], { env: { PORTDELTA_DB: 'env.sqlite' }, cwd: dir });
  // relative.xml is looked for in dir, not in the test's directory.
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/relative\.xml/);
  fs.copyFileSync(NIGHT1, path.join(dir, 'relative.xml'));
  const ok = await cli(['ingest', '--scanner', 'scan-in', 'relative.xml'], { env: { PORTDELTA_DB: 'env.sqlite' }, cwd: dir });
  expect(ok.code).toBe(0);
  expect(fs.existsSync(path.join(dir, 'env.sqlite'))).toBe(true);
  expect(fs.existsSync(path.join(ROOT, 'env.sqlite'))).toBe(false);
  expect(process.env).toEqual(envBefore);
  expect(process.cwd()).toBe(cwdBefore);
});

test('stdin is the input given, for `ingest -`', async () => {
  const db = `sqlite:${path.join(dir, 'stdin.sqlite')}`;
  const r = await cli(['--db', db, 'ingest', '--scanner', 'scan-in', '--json', '-'], { input: fs.readFileSync(NIGHT1) });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ source: '-', status: 'applied' })]);
});
