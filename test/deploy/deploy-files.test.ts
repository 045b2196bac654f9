// deploy/ holds the systemd units and cron files an operator installs, and the docs show them
// verbatim: a unit or cron file shown in README.md or docs/*.md is the deploy/ file of that name,
// byte for byte, so the two cannot drift apart. Every path to the installed program, in the docs
// and in deploy/, is the one install path, and the units pass `systemd-analyze verify`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli';
import { missingTool, testUnless } from '../helpers/needs';

const DEPLOY = path.join(ROOT, 'deploy');
const INSTALLED = '/usr/local/bin/portdelta';
const run = promisify(execFile);

interface DeployFile { rel: string; target: string; text: string }
interface Block { doc: string; line: number; text: string }

function deployFiles(): DeployFile[] {
  return (fs.readdirSync(DEPLOY, { recursive: true }) as string[])
    .filter((rel) => fs.statSync(path.join(DEPLOY, rel)).isFile())
    .sort()
    .map((rel) => {
      const text = fs.readFileSync(path.join(DEPLOY, rel), 'utf8');
      return { rel, target: text.split('\n')[0].replace(/^# /, ''), text };
    });
}

const docs = (): string[] => ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Fenced code blocks, each with its text as a file would hold it (ending in a newline). */
function blocks(doc: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```/.test(lines[i])) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    out.push({ doc, line: i + 2, text: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return out;
}

const shown = (): Block[] => docs().flatMap(blocks).filter((b) => /^# \/etc\/(systemd\/system|cron\.d)\//.test(b.text));
const files = deployFiles();

test('deploy/ holds the watch, serve and agent units, the agent timer and both cron files', () => {
  expect(files.map((f) => f.rel)).toEqual([
    'cron.d/portdelta', 'cron.d/portdelta-agent', 'portdelta-agent.service', 'portdelta-agent.timer', 'portdelta-serve.service', 'portdelta-watch.service',
  ]);
});

test.each(files.map((f) => [f.rel, f]))('%s says in its first line where it is installed, under its own name', (rel, f) => {
  const dir = rel.startsWith('cron.d/') ? '/etc/cron.d/' : '/etc/systemd/system/';
  expect(f.target).toBe(dir + path.basename(rel));
});

test.each(files.map((f) => [f.rel, f]))('%s is shown verbatim in the docs', (_rel, f) => {
  expect(shown().filter((b) => b.text === f.text).map((b) => b.doc).length).toBeGreaterThan(0);
});

test('every unit and cron file the docs show is the deploy/ file of that name, verbatim', () => {
  const byTarget = new Map(files.map((f) => [f.target, f.text]));
  const blocksShown = shown();
  expect(blocksShown.length).toBeGreaterThanOrEqual(files.length);
  for (const b of blocksShown) {
    const target = b.text.split('\n')[0].replace(/^# /, '');
    expect({ where: `${b.doc}:${b.line}`, text: b.text }).toEqual({ where: `${b.doc}:${b.line}`, text: byTarget.get(target) });
  }
});

test('the docs and deploy/ name one install path for the program', () => {
  const texts = [...docs().map((d) => [d, fs.readFileSync(path.join(ROOT, d), 'utf8')]), ...files.map((f) => [`deploy/${f.rel}`, f.text])];
  const found: string[] = [];
  for (const [where, text] of texts) {
    for (const m of text.matchAll(/(?<![\w.~$-])(?:\/[\w.-]+)*\/bin\/portdelta(?![\w.-])/g)) found.push(`${where}: ${m[0]}`);
  }
  expect(found.length).toBeGreaterThan(files.length);
  expect(found.filter((f) => !f.endsWith(`: ${INSTALLED}`))).toEqual([]);
});

test.each(files.filter((f) => !f.rel.endsWith('.timer')).map((f) => [f.rel, f]))('every ExecStart and every cron job of %s runs the installed program', (rel, f) => {
  const lines = f.text.split('\n');
  const cron = rel.startsWith('cron.d/');
  const commands = cron ? lines.filter((l) => l.trim() && !l.startsWith('#') && !/^[A-Z_]+=/.test(l)) : lines.filter((l) => l.startsWith('ExecStart='));
  expect(commands.length).toBeGreaterThan(0);
  for (const c of commands) {
    expect(c).toContain(`${INSTALLED} `);
    // minute hour day month weekday, the user, the command
    if (cron) expect(c).toMatch(/^(\S+\s+){5}(root|portdelta)\s+\S/);
  }
});

const NO_SYSTEMD = missingTool('systemd-analyze', '--version', 'systemd');

testUnless(NO_SYSTEMD, 'the units and the timer pass systemd-analyze verify, without a warning', async () => {
  // verify insists that ExecStart's program exists: a stub stands in for the installed one (whose
  // path the test above checks).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-units-'));
  try {
    const stub = path.join(dir, 'portdelta');
    fs.writeFileSync(stub, '#!/bin/sh\n', { mode: 0o755 });
    const units = files.filter((f) => !f.rel.startsWith('cron.d/')).map((f) => {
      const file = path.join(dir, f.rel);
      fs.writeFileSync(file, f.text.split(INSTALLED).join(stub));
      return file;
    });
    const r = await run('systemd-analyze', ['verify', '--man=no', ...units]).then(
      (ok) => ({ code: 0, stderr: ok.stderr }),
      (err) => ({ code: err.code, stderr: String(err.stderr) }),
    );
    expect(r).toEqual({ code: 0, stderr: '' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
