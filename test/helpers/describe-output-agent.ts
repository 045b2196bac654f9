// The conformance suite every kind of output agent runs (STYLE.md; hono's router/common.case.test.ts
// is the model: one suite, every implementation). Against a real peer (an SMTP server, an HTTP
// server, an executable, a folder) and a real store on SQLite and PostgreSQL, in-process through the
// report runner: a run delivers every pending change exactly once and the next one nothing; a failed
// send says FAILED with a remedy, marks nothing delivered, and once the peer is back the next run
// delivers each change once; hostile names arrive as the kind promises; bad options are reported
// all at once, each with its key path. One store per database is ingested for the whole file.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { printAgentResults } from '../../cli/report-output';
import { parseConfig } from '../../config/config';
import { ConfigError } from '../../common/errors';
import type { ChangeRow } from '../../common/types';
import { openDb, type Db } from '../../db/connection';
import { byKind } from '../../output-agents/registry';
import { runOutputAgents, type AgentResult } from '../../output-agents/runner';
import { csvText, Scratch } from './csv-scan';
import { forEachDb, type TestDb } from './db';
import { capturedIo, cli as runCli, FIXTURES } from './cli';

/** One peer for one test: it works until fail(), and again after recover(). */
interface Peer {
  /** The kind's own keys of the agent's entry (besides name and kind). */
  options: Record<string, unknown>;
  /** For the hostile case, when the kind shows names another way there (default: options). */
  hostileOptions?: Record<string, unknown>;
  /** Top-level configuration keys the kind needs (smtp). */
  config?: Record<string, unknown>;
  fail(): void;
  recover(): void;
  /** The change ids that arrived so far, one entry per delivery of a change (kinds that send messages). */
  delivered?(): number[];
  /**
   * Kinds that keep an inventory in step (phpipam, netbox) send no message per change: they assert
   * instead that the peer's state shows every change exactly once (nothing missing, nothing twice)…
   */
  expectSynced?(changes: ChangeRow[]): void;
  /** …and count the writes the peer accepted, which a run with nothing new must not add to. */
  writes?(): number;
  /** Asserts that what arrived in the last delivery shows `changes`' names as the kind promises. */
  expectHostile(changes: ChangeRow[]): void;
  close(): Promise<void>;
}

export interface OutputAgentHarness {
  /** Starts a working peer; `dir` is a fresh folder of its own. */
  peer(dir: string): Promise<Peer>;
  /** What the remedy of a failed send (with the peer failing as fail() makes it) says. */
  remedy: RegExp;
  /** Options the kind accepts, and options with several problems and exactly the problems it reports. */
  valid: Record<string, unknown>;
  invalid: { raw: Record<string, unknown>; errors: string[] };
}

/** Hostnames the fixtures do not have: a header injection and markup that would run in a browser. */
const INJECTIONS = ['x\r\nBcc: evil@example.org', '"><img src=x onerror=alert(1)>', 'x\nSubject: fake'];
const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface Store {
  db: Db;
  scratch: Scratch;
  changes: ChangeRow[];
}

const stores = new Map<string, Promise<Store>>();

async function cli(argv: string[]): Promise<string> {
  const r = await runCli(argv);
  if (r.code !== 0) throw new Error(`portdelta ${argv.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** test/fixtures/hostile's two nights and a scan of header and markup injections, ingested once. */
async function ingestStore(url: string): Promise<Store> {
  const scratch = new Scratch();
  const config = scratch.write('ingest.yaml', 'output_agents: []\n');
  const nights = [1, 2].map((n) => path.join(FIXTURES, 'hostile', `night${n}.csv`));
  const rows = INJECTIONS.map((name, i) => `127.0.21.${i + 1},tcp,25,open,${csvField(name)},`);
  const injections = scratch.write('injections.csv', csvText({ started: '2026-11-23T09:00:00Z', rows, scope: '127.0.21.0/29', ports: 'tcp:25' }));
  const base = ['--db', url, '--config', config];
  await cli([...base, 'ingest', '--scanner', 'hx', ...nights, '--json']);
  await cli([...base, 'ingest', '--scanner', 'hx-inject', injections, '--json']);
  const changes = JSON.parse(await cli([...base, 'changes', '--json'])) as ChangeRow[];
  return { db: await openDb(url, { mode: 'write' }), scratch, changes };
}

/** The file's one store on this database (its first caller ingests it). */
function storeFor(db: TestDb): () => Promise<Store> {
  return () => {
    if (!stores.has(db.kind)) stores.set(db.kind, ingestStore(db.fresh()));
    return stores.get(db.kind)!;
  };
}

afterAll(async () => {
  for (const s of stores.values()) {
    const store = await s.catch(() => null);
    await store?.db.close();
    store?.scratch.remove();
  }
  stores.clear();
});

interface Run {
  results: AgentResult[];
  /** What `report` prints about them. */
  out: string;
}

let configs = 0;

/** One `report` run, in-process: these agents (each delivering baselines change by change). */
async function report(store: Store, agents: object[], extra: object = {}, dryRun = false): Promise<Run> {
  const output_agents = agents.map((a) => ({ include_baseline: true, ...a }));
  const file = store.scratch.write(`config-${++configs}.yaml`, YAML.stringify({ ...extra, output_agents }));
  const config = parseConfig(fs.readFileSync(file, 'utf8'), file);
  const results = await runOutputAgents({ config, db: store.db }, { policy: null, dryRun, log: () => undefined });
  const { io, said } = capturedIo();
  printAgentResults(io, results);
  return { results, out: said.stdout };
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
const idsOf = (changes: ChangeRow[]) => sorted(changes.map((c) => c.id));

/** Every change arrived once: as a message of its own, or in the state of an inventory the kind keeps. */
function expectArrived(p: Peer, changes: ChangeRow[]): void {
  if (p.delivered) expect(sorted(p.delivered())).toEqual(idsOf(changes));
  else p.expectSynced!(changes);
}

/** The shared cases for one kind; without a harness, one failing test says so. */
export function describeOutputAgent(kind: string, harness: OutputAgentHarness | undefined): void {
  describe(`output agent kind ${kind}`, () => {
    if (!harness) {
      test('has a conformance harness', () => {
        throw new Error(`no harness for the output agent kind '${kind}': add one to test/output-agents/conformance.test.ts`);
      });
      return;
    }
    optionCases(kind, harness);
    forEachDb(`output agent kind ${kind}`, (db) => deliveryCases(kind, harness, storeFor(db)));
  });
}

/** A kind's problem as the configuration reports it: under the agent's entry (config-schema.ts). */
const inConfig = (problem: string) => (/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*: /.test(problem) ? `output_agents.0.${problem}` : `output_agents.0: ${problem}`);

function optionCases(kind: string, harness: OutputAgentHarness): void {
  const agent = byKind(kind)!;
  const ctx = { baseDir: FIXTURES };

  test('parseOptions takes valid options', () => {
    expect(agent.parseOptions(harness.valid, ctx)).toEqual({ value: expect.anything() });
  });

  test('parseOptions reports every problem at once, each with its key path, and so does the configuration', () => {
    const r = agent.parseOptions(harness.invalid.raw, ctx);
    expect(r.errors).toEqual(harness.invalid.errors);
    expect(harness.invalid.errors.length).toBeGreaterThan(1);
    const text = YAML.stringify({ output_agents: [{ name: 'bad', kind, ...harness.invalid.raw }] });
    let problems: string[] = [];
    try {
      parseConfig(text, path.join(FIXTURES, 'conformance.yaml'));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual(harness.invalid.errors.map(inConfig));
  });
}

function deliveryCases(kind: string, harness: OutputAgentHarness, store: () => Promise<Store>): void {
  let peer: Peer | undefined;
  let dir: Scratch | undefined;
  const start = async (): Promise<{ s: Store; p: Peer }> => {
    const s = await store();
    dir = new Scratch();
    peer = await harness.peer(dir.dir);
    return { s, p: peer };
  };
  afterEach(async () => {
    await peer?.close();
    dir?.remove();
    peer = dir = undefined;
  });
  const entry = (name: string, p: Peer, options = p.options) => [{ name: `${kind}-${name}`, kind, ...options }];

  test('a run delivers every pending change exactly once; the next run delivers nothing', async () => {
    const { s, p } = await start();
    const agents = entry('claim', p);
    const first = await report(s, agents, p.config);
    expect(first.results).toEqual([expect.objectContaining({ status: 'ok', delivered: s.changes.length, retry: 0 })]);
    expectArrived(p, s.changes);
    const writes = p.writes?.();
    const second = await report(s, agents, p.config);
    expect(second.out).toBe(`${kind}-claim (${kind}): nothing new\n`);
    expectArrived(p, s.changes);
    expect(p.writes?.()).toBe(writes);
  });

  test('a failed send says FAILED with its remedy and marks nothing delivered; after the peer is back each change goes out once', async () => {
    const { s, p } = await start();
    const agents = entry('retry', p);
    p.fail();
    const failed = await report(s, agents, p.config);
    const n = s.changes.length;
    expect(failed.results).toEqual([expect.objectContaining({ status: 'failed', delivered: 0, retry: n, remedy: expect.stringMatching(harness.remedy) })]);
    const [line, remedy, ...rest] = failed.out.split('\n');
    expect(line).toMatch(new RegExp(`^${kind}-retry \\(${kind}\\): FAILED: .+; ${n} changes will be retried on the next run$`));
    expect(remedy).toMatch(/^ {2}remedy: /);
    expect(rest).toEqual(['']);
    if (p.delivered) expect(p.delivered()).toEqual([]);
    else expect(p.writes!()).toBe(0);
    const dry = await report(s, agents, p.config, true);
    expect(sorted((dry.results[0].would ?? []).map((w) => w.id))).toEqual(idsOf(s.changes));

    p.recover();
    const again = await report(s, agents, p.config);
    expect(again.results).toEqual([expect.objectContaining({ status: 'ok', delivered: n, retry: 0 })]);
    expectArrived(p, s.changes);
    expect((await report(s, agents, p.config)).out).toBe(`${kind}-retry (${kind}): nothing new\n`);
  });

  test('hostile names (control characters, markup, line breaks, header injections) arrive as the kind promises', async () => {
    const { s, p } = await start();
    const run = await report(s, entry('hostile', p, p.hostileOptions), p.config);
    expect(run.results).toEqual([expect.objectContaining({ status: 'ok', delivered: s.changes.length })]);
    expectArrived(p, s.changes);
    for (const name of INJECTIONS) expect(s.changes.map((c) => c.hostname)).toContain(name);
    p.expectHostile(s.changes);
  });
}
