// The dashboard step (issue 14): `portdelta serve` of the build under test, a real process on
// 127.0.0.1, on a database the bench has just built; every page fetched with realistic parameters,
// a warm-up then N timed requests each (request to last byte on loopback), p50/p95 per page and
// serve's peak RSS (measure.ts: /usr/bin/time, or rss.js without it).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Knex } from 'knex';
import http from 'node:http';
import path from 'node:path';
import { openDb } from '../db/connection';
import { log, messageOf } from './common';
import type { BenchDb } from './databases';
import { fmt } from './format';
import { node, type Measured } from './measure';
import type { DashboardPage, DashboardRun, RunState } from './results';

/** What one dashboard step needs: the build, the database, where to write its config. */
export interface DashboardInput {
  size: number;
  dir: string;
  bin: string;
  db: BenchDb;
  scanner: string;
  reps: number;
  state: RunState;
}

/** A page taking longer than this on its warm-up is timed fewer times, so a slow page cannot stall the run. */
const SLOW_MS = 5000;
const SLOW_REPS = 3;
const REQUEST_TIMEOUT_MS = 300_000;

/** The policy the Audit page checks: what a campus might allow everywhere, the rest is a violation. */
const POLICY = `# written by the bench (bench/dashboard.ts)
rules:
  - {network: 10.0.0.0/8, proto: tcp, ports: "22,80,443", action: allow, owner: net-team, note: ssh and web}
  - {network: 10.0.0.0/8, proto: tcp, ports: 3389, action: deny, owner: desktop-team, note: no RDP from outside}
`;

function writeConfig(dir: string, token: string): string {
  fs.writeFileSync(path.join(dir, 'dashboard-policy.yaml'), POLICY);
  const file = path.join(dir, 'dashboard.yaml');
  fs.writeFileSync(file, `# written by the bench (bench/dashboard.ts)\npolicy: dashboard-policy.yaml\nserver:\n  read_tokens: ["${token}"]\n`);
  return file;
}

/**
 * The morning after, as a production PostgreSQL would have it: with autovacuum on (the default), the
 * tables a night rewrote are vacuumed and analysed in the background within minutes. This machine's
 * server runs with autovacuum off, so the bench does that itself, untimed, and says so; otherwise
 * every page would read the dead rows of three rewritten nights.
 */
async function morningAfter(kind: BenchDb['kind'], knex: Knex): Promise<string | null> {
  if (kind !== 'pg') return null;
  const on = (await knex.raw('SHOW autovacuum')).rows[0]?.autovacuum;
  if (on === 'on') return null;
  for (const t of ['port_state', 'host_state', 'changes']) await knex.raw(`VACUUM (ANALYZE) ${t}`);
  return 'autovacuum is off on this server: VACUUM (ANALYZE) of port_state, host_state and changes before serve starts (untimed)';
}

/** The address with the most open ports (an untimed query, before serve starts). */
async function busiestHost(knex: Knex): Promise<string> {
  const row = await knex('port_state').where('reported', 'open').groupBy('ip_key', 'ip').select('ip').orderByRaw('COUNT(*) DESC, ip_key').first();
  return (row?.ip as string | undefined) ?? '10.0.0.1';
}

/** What is done to the database before serve starts, on one connection: its note, and the busiest host. */
async function beforeServe(db: BenchDb): Promise<{ note: string | null; host: string }> {
  const d = await openDb(db.url, { migrate: false });
  try {
    return { note: await morningAfter(db.kind, d.knex), host: await busiestHost(d.knex) };
  } finally {
    await d.close();
  }
}

/**
 * The pages and their parameters: [name, path, whether a 4xx answer is expected]. `host` is an
 * address with many open ports. The map of a network wider than a /16 is refused (400) by the
 * page as it is: it is fetched all the same, so the table shows what a reader asking for it gets.
 */
export function pagesFor(size: number, scanner: string, host: string): Array<[string, string, boolean?]> {
  const s = encodeURIComponent(scanner);
  const wide: Array<[string, string, boolean?]> = size < 16 ? [[`network /${size}`, `/networks/10.0.0.0/${size}`, true]] : [];
  return [
    ['overview', '/'],
    ['changes', '/changes'],
    ['changes type=port_closed', '/changes?type=port_closed'],
    ['changes scanner', `/changes?scanner=${s}`],
    ['changes network /24', '/changes?network=10.0.1.0%2F24'],
    ['changes page 50', '/changes?page=50'],
    ['host (most ports)', `/hosts/${host}`],
    ['port 80/tcp', '/ports/tcp/80'],
    ['network /16', '/networks/10.0.0.0/16'],
    ['network /24', '/networks/10.0.1.0/24'],
    ...wide,
    ['scanners', '/scanners'],
    ['disagreements', '/disagreements'],
    ['audit', '/audit'],
    ['changes.csv type+network', `/changes.csv?type=port_closed&network=${encodeURIComponent(`10.0.0.0/${Math.min(size + 4, 24)}`)}`],
  ];
}

/** One GET on a kept-alive connection: its status, size and milliseconds from the request to the last byte. */
function get(agent: http.Agent, url: string, token: string): Promise<{ status: number; bytes: number; ms: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { Authorization: `Bearer ${token}` }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

/** The value at quantile q of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function timePage(agent: http.Agent, base: string, token: string, [name, p]: [string, string], reps: number): Promise<DashboardPage> {
  const warm = await get(agent, base + p, token);
  const n = warm.ms > SLOW_MS ? Math.min(SLOW_REPS, reps) : reps;
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await get(agent, base + p, token)).ms);
  ms.sort((a, b) => a - b);
  return { name, path: p, status: warm.status, bytes: warm.bytes, n, warmMs: warm.ms, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), max: ms[ms.length - 1] ?? NaN };
}

/** Starts serve under measure(); resolves with its URL and the promise of its figures at exit. */
function startServe(input: DashboardInput, config: string): Promise<{ url: string; child: ChildProcess; done: Promise<Measured> }> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = node([input.bin, '--db', input.db.url, '--config', config, 'serve', '--listen', '127.0.0.1:0', '--ingest'], {
      timeoutS: 0,
      captureStdout: false,
      onSpawn: (child) => {
        child.stderr?.on('data', (d: Buffer) => {
          seen += d.toString();
          const m = /listening on (\S+)/.exec(seen);
          if (m) resolve({ url: m[1], child, done });
        });
      },
    });
    done.then((r) => reject(new Error(`serve exited (${r.code}) before listening: ${r.stderr.trim().split('\n').slice(0, 3).join(' ')}`)), reject);
  });
}

const signal = (child: ChildProcess, sig: NodeJS.Signals): void => {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
};

/**
 * Asks serve to stop as Ctrl-C does (SIGINT to its group: /usr/bin/time ignores it and waits for
 * serve to exit, then writes its figures); killed after 30 s if it has not.
 */
async function stopServe(served: { child: ChildProcess; done: Promise<Measured> }): Promise<Measured> {
  signal(served.child, 'SIGINT');
  const timer = setTimeout(() => signal(served.child, 'SIGKILL'), 30_000);
  try {
    return await served.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the dashboard step on one built database; its figures and failures go into input.state. */
export async function dashboardStep(input: DashboardInput): Promise<void> {
  const { size, db, state } = input;
  const token = randomBytes(24).toString('hex');
  const config = writeConfig(input.dir, token);
  log(`/${size} ${db.kind}: dashboard (serve, ${input.reps} requests per page after a warm-up)`);
  const run: DashboardRun = { size, db: db.kind, pages: [], rssMb: null, error: null, note: null };
  state.dashboards.push(run);
  let served: Awaited<ReturnType<typeof startServe>> | null = null;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { note, host } = await beforeServe(db);
    if (note) log(`  ${note}`);
    run.note = note;
    served = await startServe(input, config);
    for (const [name, p, refusable] of pagesFor(size, input.scanner, host)) {
      const r = await timePage(agent, served.url, token, [name, p], input.reps);
      run.pages.push(r);
      log(`  ${name.padEnd(26)} ${String(r.status)} p50 ${fmt(r.p50, 0).padStart(6)} ms  p95 ${fmt(r.p95, 0).padStart(6)} ms  (${r.n}×, warm-up ${fmt(r.warmMs, 0)} ms, ${fmt(r.bytes / 1024, 0)} KiB)`);
      if (r.status !== 200 && !(refusable && r.status < 500)) state.failures.push(`/${size} ${db.kind} dashboard ${name} (${p}): HTTP ${r.status}`);
    }
  } catch (e) {
    run.error = messageOf(e);
    state.failures.push(`/${size} ${db.kind} dashboard: ${run.error}`);
    log(`  failed: ${run.error}`);
  } finally {
    agent.destroy();
    if (served) {
      const m = await stopServe(served);
      run.rssMb = m.rssMb;
      log(`  serve: peak RSS ${fmt(m.rssMb, 0)} MB, CPU ${fmt(m.cpu)} s`);
    }
  }
}
