// Output-agent tests: a database driven through the CLI (in-process; report as a process on request), a config with output agents
// written as YAML into a scratch folder, and readers for what the agents produced.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { cli, cliJson, spawnCli, SCANS, type CliResult, type SpawnOptions } from './cli';

/** spawn: run `report` as its own process (with prlimit, or at the same time as another). */
export type ReportRunOptions = SpawnOptions & { spawn?: boolean };
import { Scratch } from './csv-scan';
import type { ChangeRow } from '../../common/types';
import type { BaselineSummary, ReportChange } from '../../output-agents/types';
import type { AgentResult } from '../../output-agents/run-agent';

/** What a webhook agent POSTs (output-agents/webhook.ts), as JSON. */
export interface WebhookBody {
  text: string;
  agent: string;
  target_group: string | null;
  generated_at: string;
  changes: ReportChange[];
  baselines: BaselineSummary[];
}

export const LAB = path.join(SCANS, 'lab-a');
const LAB_SCANNERS = { 'scan-in': { group: 'inside' }, 'scan-out': { group: 'outside' } };

/** The hook used by the tests (argv: LOGDIR MODE ARGS...): records each successful call as one file. */
const HOOK_SCRIPT = `
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const [logDir, mode, ...args] = process.argv.slice(2);
const fixed = fs.existsSync(path.join(logDir, 'fixed'));
const stdin = fs.readFileSync(0, 'utf8');
if (mode === 'fail' && !fixed) { process.stderr.write('broken on purpose\\n'); process.exit(3); }
if (mode === 'sleep' && !fixed) { setTimeout(() => {}, 60000); return; }
if (mode === 'background') {
  // Leaves a process behind that holds the hook's stderr open (its own session: a timeout would not end it).
  const bg = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  fs.writeFileSync(path.join(logDir, 'background.pid'), String(bg.pid));
  bg.unref();
}
if (mode === 'third') {
  const counter = path.join(logDir, 'calls');
  const n = (fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0) + 1;
  fs.writeFileSync(counter, String(n));
  if (n === 3) process.exit(3);
}
fs.writeFileSync(path.join(logDir, crypto.randomUUID() + '.call.json'), JSON.stringify({ args, stdin: JSON.parse(stdin), env: process.env, cwd: process.cwd() }));
`;

/** One hook call; `S` is what came in on stdin: a change (per: change), a list of them (per: batch) or a baseline summary. */
export interface HookCall<S = ReportChange> {
  args: string[];
  stdin: S;
  /** The hook's whole environment. */
  env: Record<string, string>;
}

export class ReportLab {
  readonly scratch = new Scratch();
  readonly hookLog: string;
  readonly hook: string;

  constructor(readonly db: string) {
    this.hookLog = fs.mkdtempSync(path.join(this.scratch.dir, 'hook-'));
    this.hook = this.scratch.write('hook.js', HOOK_SCRIPT);
  }

  /**
   * A config with the lab scanners (or these), these output agents and other top-level keys (smtp,
   * policy); returns its path. The agents get every change one by one (include_baseline: true)
   * unless they say otherwise: most tests look at a first night's changes as changes; the baseline
   * summary has its own tests (test/output-agents/baseline.test.ts).
   */
  config(agents: unknown[], scanners: object = LAB_SCANNERS, extra: object = {}): string {
    const output_agents = agents.map((a) => (a && typeof a === 'object' && !Array.isArray(a) && 'kind' in a ? { include_baseline: true, ...a } : a));
    return this.scratch.write(`config-${Math.random().toString(36).slice(2)}.yaml`, YAML.stringify({ ...extra, scanners, output_agents }));
  }

  /** hook command: node hook.js LOGDIR MODE ...args */
  hookCommand(mode: string, ...args: string[]): string[] {
    return [process.execPath, this.hook, this.hookLog, mode, ...args];
  }

  /** Creates the empty store: `report` only uses an existing one. */
  async migrate(): Promise<void> {
    await cliJson(['--db', this.db, 'migrate']);
  }

  /** Ingests lab-a's nmap XML files of these nights, scanner by scanner. */
  async ingestLab(config: string, nights: number[]): Promise<void> {
    for (const n of nights) {
      for (const scanner of Object.keys(LAB_SCANNERS)) {
        const dir = path.join(LAB, `night${n}`, scanner);
        const files = fs.readdirSync(dir).filter((f) => /^nmap-.*\.xml$/.test(f)).map((f) => path.join(dir, f));
        await cliJson(['--db', this.db, '--config', config, 'ingest', '--scanner', scanner, ...files]);
      }
    }
  }

  ingest(config: string, ...files: string[]): Promise<unknown> {
    return cliJson(['--db', this.db, '--config', config, 'ingest', ...files]);
  }

  changes(): Promise<ChangeRow[]> {
    return cliJson<ChangeRow[]>(['--db', this.db, 'changes']);
  }

  report(config: string, args: string[] = [], opts: ReportRunOptions = {}): Promise<CliResult> {
    const { spawn, ...rest } = opts;
    const argv = ['--db', this.db, '--config', config, 'report', ...args];
    return spawn ? spawnCli(argv, rest) : cli(argv, rest);
  }

  /** `report --json` parsed (whatever the exit code). */
  async reportJson(config: string, args: string[] = [], opts: ReportRunOptions = {}): Promise<{ code: number; results: AgentResult[]; stderr: string }> {
    const r = await this.report(config, [...args, '--json'], opts);
    return { code: r.code, results: JSON.parse(r.stdout || '[]'), stderr: r.stderr };
  }

  path(name: string): string {
    return path.join(this.scratch.dir, name);
  }

  hookCalls<S = ReportChange>(): HookCall<S>[] {
    return fs.readdirSync(this.hookLog).filter((f) => f.endsWith('.call.json')).map((f) => JSON.parse(fs.readFileSync(path.join(this.hookLog, f), 'utf8')));
  }

  fixHook(): void {
    fs.writeFileSync(path.join(this.hookLog, 'fixed'), '');
  }

  remove(): void {
    this.scratch.remove();
  }
}

/** For one describe block: a ReportLab with lab-a's `nights` ingested once and their changes, removed afterwards. */
export function sharedLab(db: string | (() => string), nights: number[]): { lab: ReportLab; all: ChangeRow[] } {
  const shared = {} as { lab: ReportLab; all: ChangeRow[] };
  beforeAll(async () => {
    shared.lab = new ReportLab(typeof db === 'string' ? db : db());
    await shared.lab.ingestLab(shared.lab.config([]), nights);
    shared.all = await shared.lab.changes();
  });
  afterAll(() => shared.lab.remove());
  return shared;
}

/** The changes a jsonl file agent wrote, in file order ([] when it wrote nothing yet). */
export function jsonl(file: string): ReportChange[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export const ids = (list: Array<{ id: number }>) => list.map((c) => c.id).sort((a, b) => a - b);
