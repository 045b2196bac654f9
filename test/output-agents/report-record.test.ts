// Recording deliveries (DESIGN §4) when it goes wrong, through the spawned CLI: a send that cannot be
// recorded leaves its claims leased instead of giving them back (which sent everything again on the
// next run), and a per-change hook killed midway repeats only what was sent after the last recorded
// group, not the whole batch.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, spawnCli } from '../helpers/cli';
import { ids, ReportLab } from '../helpers/report';
import { KILLING_HOOK_SCRIPT, LOCKER_SCRIPT, LOCKING_HOOK_SCRIPT } from '../helpers/db-lock';
import { port, up } from '../helpers/csv-scan';
import { openDb } from '../../db/connection';
import { PROGRESS_EVERY } from '../../output-agents/claim-record';

const ports = (n: number) => Array.from({ length: n }, (_, i) => port('10.9.0.1', 100 + i));

async function withDb<T>(url: string, fn: (knex: import('knex').Knex) => Promise<T>): Promise<T> {
  const db = await openDb(url, { migrate: false });
  try {
    return await fn(db.knex);
  } finally {
    await db.close();
  }
}

const statuses = (url: string, agent: string) =>
  withDb(url, async (knex) => (await knex('deliveries').where({ agent }).orderBy('change_id').select('change_id', 'status'))
    .map((r: { change_id: number; status: string }) => ({ id: Number(r.change_id), status: r.status })));

/** What a crashed run's lease running out looks like, without waiting five minutes. */
const expireLeases = (url: string, agent: string) =>
  withDb(url, (knex) => knex('deliveries').where({ agent, status: 'claimed' }).update({ lease_until: 0 }));

const calls = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('call-')).sort((a, b) => Number(a.slice(5).split('.')[0]) - Number(b.slice(5).split('.')[0]));

forEachDb('report: recording deliveries when it fails', (db) => {
  let lab: ReportLab;
  let url: string;
  let config: (agents: object[]) => string;
  let all: number[];
  beforeAll(async () => {
    url = db.fresh();
    lab = new ReportLab(url);
    config = (agents) => lab.config(agents, { t: {} });
    await lab.ingest(config([]), ...lab.scratch.series([[up('10.9.0.1'), ...ports(60)]], { scanner: 't' }));
    all = ids(await lab.changes());
  });
  afterAll(() => lab.remove());

  test('a batch that went out but cannot be recorded stays claimed: exit 2, "sent, but not recorded", no repeat on the next run', async () => {
    const dir = fs.mkdtempSync(path.join(lab.scratch.dir, 'lock-'));
    const locker = lab.scratch.write('locker.js', LOCKER_SCRIPT);
    const hook = lab.scratch.write('locking-hook.js', LOCKING_HOOK_SCRIPT);
    // The hook waits for the locker to hold its lock: seconds on a busy machine, so a long timeout.
    const cfg = config([{ name: 'locked', kind: 'hook', per: 'batch', timeout: '150s', command: [process.execPath, hook, dir, url, locker] }]);
    const report = () => cli(['--db', url, '--config', cfg, 'report'], { env: { PORTDELTA_LOCK_WAIT_MS: '200' } });
    let first;
    try {
      first = await report();
    } finally {
      const pid = path.join(dir, 'locker.pid');
      if (fs.existsSync(pid)) process.kill(Number(fs.readFileSync(pid, 'utf8')), 'SIGKILL');
      fs.writeFileSync(path.join(dir, 'no-lock'), '');
    }
    expect(first.code).toBe(2);
    expect(first.stdout).toMatch(new RegExp('^locked \\(hook\\): FAILED: sent, but not recorded in the database .+: (database is locked|canceling statement due to lock timeout)\\n'
      + `  remedy: ${all.length} of the changes went out but are not recorded as delivered: they stay claimed, `
      + 'and after the lease runs out \\(5 minutes\\) the next run may send them again\\. .+\\n$'));
    expect(first.stdout).not.toMatch(/insert|update|select/i);
    expect(calls(dir)).toHaveLength(1);
    expect(ids(JSON.parse(fs.readFileSync(path.join(dir, 'call-1.json'), 'utf8')))).toEqual(all);
    expect(await statuses(url, 'locked')).toEqual(all.map((id) => ({ id, status: 'claimed' })));

    const second = await report();
    expect([second.code, second.stdout]).toEqual([0, 'locked (hook): nothing new\n']);
    expect(calls(dir)).toHaveLength(1);

    // As documented: once the lease has run out, the changes go out again (at least once, never lost).
    await expireLeases(url, 'locked');
    const third = await report();
    expect([third.code, third.stdout]).toEqual([0, `locked (hook): ${all.length} changes delivered\n`]);
    expect(calls(dir)).toHaveLength(2);
    expect(await statuses(url, 'locked')).toEqual(all.map((id) => ({ id, status: 'delivered' })));
   }, 300_000);

  test('a per-change hook whose report is killed midway: the next run repeats only what came after the last recorded group', async () => {
    const K = 45;
    const dir = fs.mkdtempSync(path.join(lab.scratch.dir, 'kill-'));
    const hook = lab.scratch.write('killing-hook.js', KILLING_HOOK_SCRIPT);
    const cfg = config([{ name: 'killed', kind: 'hook', per: 'change', command: [process.execPath, hook, dir, String(K)] }]);
    // Its own process: the hook kills the report that runs it.
    const killed = await spawnCli(['--db', url, '--config', cfg, 'report']);
    expect(killed.code).not.toBe(0);
    expect(calls(dir)).toHaveLength(K);
    const recorded = (await statuses(url, 'killed')).filter((r) => r.status === 'delivered').map((r) => r.id);
    // Progress is recorded at least every PROGRESS_EVERY changes, and awaited before the next one.
    expect(recorded.length).toBeGreaterThanOrEqual(K - PROGRESS_EVERY);
    expect(recorded.length).toBeLessThan(K);
    expect(recorded).toEqual(all.slice(0, recorded.length));

    await expireLeases(url, 'killed');
    const next = await cli(['--db', url, '--config', cfg, 'report']);
    expect([next.code, next.stdout]).toEqual([0, `killed (hook): ${all.length - recorded.length} changes delivered\n`]);
    const sent = calls(dir).map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));
    expect(sent.slice(K)).toEqual(all.slice(recorded.length));
    expect(new Set(sent)).toEqual(new Set(all));
    expect(await statuses(url, 'killed')).toEqual(all.map((id) => ({ id, status: 'delivered' })));
  });
});

forEachDb('report: when the database stays locked', (db) => {
  test('the claim fails with a short reason, the remedy on the next line and in --json; nothing is claimed', async () => {
    const url = db.fresh();
    const lab = new ReportLab(url);
    const dir = fs.mkdtempSync(path.join(lab.scratch.dir, 'lock-'));
    try {
      const cfg = lab.config([{ name: 'blocked', kind: 'file', path: lab.path('b.jsonl') }], { t: {} });
      await lab.ingest(cfg, ...lab.scratch.series([[up('10.9.0.1'), ...ports(3)]], { scanner: 't' }));
      const locker = spawn(process.execPath, [lab.scratch.write('locker.js', LOCKER_SCRIPT), dir, url], { stdio: 'ignore' });
      try {
        while (!fs.existsSync(path.join(dir, 'locked'))) {
          expect(fs.existsSync(path.join(dir, 'locker.err')) ? fs.readFileSync(path.join(dir, 'locker.err'), 'utf8') : '').toBe('');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const env = { PORTDELTA_LOCK_WAIT_MS: '200' };
        const text = await cli(['--db', url, '--config', cfg, 'report'], { env });
        const json = await cli(['--db', url, '--config', cfg, 'report', '--json'], { env });
        expect([text.code, text.stderr]).toEqual([2, ""]);
        const reason = '(database is locked|canceling statement due to lock timeout)';
        expect(text.stdout).toMatch(new RegExp(`^blocked \\(file\\): FAILED: could not claim changes in the database .+: ${reason}; it will be retried on the next run\\n  remedy: another process .+\\n$`));
        expect(json.code).toBe(2);
        const [result] = JSON.parse(json.stdout);
        expect(result).toMatchObject({ agent: 'blocked', status: 'failed', error: expect.stringMatching(new RegExp(`^could not claim changes in the database .+: ${reason}$`)), remedy: expect.stringMatching(/^another process/) });
      } finally {
        locker.kill('SIGKILL');
      }
      expect(await statuses(url, 'blocked')).toEqual([]);
      expect((await cli(['--db', url, '--config', cfg, 'report'])).stdout).toBe('blocked (file): 4 changes delivered\n');
    } finally {
      lab.remove();
    }
  });
});
