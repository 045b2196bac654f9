// README's "Using it" works as written on a fresh clone: its shell block runs, line by line and
// unchanged, in a folder laid out like a clone after `npm ci` (the built dist/ and the bundled
// demo/ scans), and each command does what its comment says.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliJson, ROOT } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';

/** The first ```sh block after the "## Using it" heading. */
function usingIt(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Using it\n'));
  const m = /\n```sh\n([\s\S]*?)\n```\n/.exec(section);
  if (!m) throw new Error('README.md has no ```sh block under "## Using it"');
  return m[1] + '\n';
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // expand_aliases: what an interactive shell does anyway; -e: every line must succeed. Offline:
    // a line like `npx portdelta` must never fetch a package of that name from the registry.
    execFile('bash', ['-O', 'expand_aliases', '-e', '-c', script], { cwd, env: { ...process.env, PORTDELTA_DB: '', PORTDELTA_CONFIG: '', npm_config_offline: 'true' } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('README "Using it" runs as written in a fresh clone, on the bundled demo scans', async () => {
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-readme-'));
  try {
    fs.cpSync(path.join(ROOT, 'demo'), path.join(clone, 'demo'), { recursive: true, filter: (f) => !/demo\/(inbox|changes\.jsonl)/.test(f) });
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(clone, 'dist'));
    const script = usingIt();
    expect(script).toMatch(/ report /);
    const r = await bash(script, clone);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    expect(r.stdout).toMatch(/night1\/scan-in\/nmap-tcp\.xml: applied as scan 1 of scan-in/);
    expect(r.stdout).toMatch(/night2\/scan-in\/nmap-tcp\.xml: applied as scan 2 of scan-in/);
    expect(r.stdout).toMatch(/^ID +DETECTED +SCANNER +IP/m); // changes --since: a table, not "no changes"
    expect(r.stdout).toMatch(/^SCANNER +IP +PORT /m);
    expect(r.stdout).toMatch(/siem \(file\): \d+ changes delivered/);
    expect(r.stdout).toMatch(/scan-in\/nmap-tcp\.xml: applied as scan 3 of scan-in .*archived as archive\//);
    expect(r.stdout).toMatch(/run: 1 file\(s\): 1 applied, .* 0 failed/);
    expect(fs.existsSync(path.join(clone, 'portdelta.sqlite'))).toBe(true);

    // The file agent got every change exactly once, over report and run together: the first scan's
    // as one baseline summary, every later one as its own line.
    const db = `sqlite:${path.join(clone, 'portdelta.sqlite')}`;
    const all = await cliJson<ChangeRow[]>(['--db', db, 'changes']);
    const records = fs.readFileSync(path.join(clone, 'demo/changes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id?: number; baseline?: boolean; scanner?: string; changes?: number });
    const baseline = all.filter((c) => c.baseline);
    expect(baseline.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.id === undefined)).toEqual([expect.objectContaining({ baseline: true, scanner: 'scan-in', changes: baseline.length })]);
    expect(records.filter((r) => r.id !== undefined).map((r) => r.id)).toEqual(all.filter((c) => !c.baseline).map((c) => c.id));
  } finally {
    fs.rmSync(clone, { recursive: true, force: true });
  }
}, 120_000);
