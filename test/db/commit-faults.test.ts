// Issue 11, "never a false applied": a COMMIT the database refuses (SQLite on a full tmpfs,
// PostgreSQL through a deferred trigger that raises at COMMIT) is an error on every path that
// writes: exit 2, one line naming the database and the cause plus a remedy, nothing stored, an
// inbox file left where it was; and once the fault is gone, the next run succeeds by itself.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { forEachDb, type TestDb } from '../helpers/db';
import { cli, SCANS, spawnCli, type CliResult } from '../helpers/cli';
import { TempDir } from '../helpers/inbox';
import { causeOf, commitFault, SmallDisk, type CommitFault } from '../helpers/commit-fault';
import { openDb } from '../../db/connection';
import { PortdeltaError } from '../../common/errors';
import { ingestStream } from '../../delta-reporter/ingest';
import { openInput } from '../../input-agents/open-input';
import { fetchIt } from '../helpers/http';
import { startServe } from '../helpers/serve';
import { makeTestPki, missingTool } from '../helpers/tls';

const noOpenssl = missingTool('openssl', 'version');

const XML = path.join(SCANS, 'lab-a', 'night1', 'scan-in', 'nmap-tcp.xml');
const disk = new SmallDisk();
afterAll(() => disk.unmount());

// knex quotes every identifier in the statements it writes into its messages.
const SQL = /\b(insert into|update|delete from|select .* from) [`"]|COMMIT;/i;

async function rows(url: string, table: string): Promise<number> {
  const db = await openDb(url, { migrate: false });
  try {
    return Number(Object.values((await db.knex(table).count({ n: '*' }))[0])[0]);
  } finally {
    await db.close();
  }
}

/** Every line the command wrote to stderr for the failure: the cause on one line, a remedy, no SQL. */
function expectOneLineFault(r: CliResult, doing: RegExp, cause: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.split('\n').filter(Boolean);
  const first = lines.findIndex((l) => doing.test(l));
  expect(first).toBeGreaterThanOrEqual(0);
  expect(lines[first]).toMatch(cause);
  expect(r.stderr).toMatch(/remedy: /);
  expect(r.stdout + r.stderr).not.toMatch(SQL);
}

forEachDb('a COMMIT the database refuses', (db: TestDb) => {
  const it = db.kind === 'sqlite' && disk.problem ? test.skip : test;
  const skip = db.kind === 'sqlite' && disk.problem ? ` (skipped: ${disk.problem})` : '';
  const cause = causeOf(db, disk);
  let t: TempDir;
  beforeEach(() => (t = new TempDir()));
  afterEach(() => {
    fs.rmSync(t.dir, { recursive: true, force: true });
    disk.free();
  });

  const fresh = async (name: string): Promise<CommitFault> => {
    const f = commitFault(db, disk, name);
    expect((await cli(['--db', f.url, 'migrate'])).code).toBe(0);
    return f;
  };

  it(`ingest: exit 2, "could not store" with the cause, nothing stored; the next run applies it${skip}`, async () => {
    const f = await fresh('ingest');
    await f.arm('scans');
    const r = await cli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML]);
    expectOneLineFault(r, /could not store the scan in the database .+: /, cause);
    expect(r.stdout).not.toMatch(/applied/);
    await f.disarm('scans');
    expect(await rows(f.url, 'scans')).toBe(0);
    expect(await rows(f.url, 'changes')).toBe(0);
    const again = await cli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/applied as scan \d+ of scan-in/);
    expect(await rows(f.url, 'changes')).toBeGreaterThan(0);
  });

  for (const command of ['watch', 'run'] as const) {
    it(`${command}: the file stays in the inbox (not archived, not failed/), exit 2; the next run archives it${skip}`, async () => {
      const f = await fresh(command);
      const cfg = path.join(t.dir, 'portdelta.yaml');
      fs.writeFileSync(cfg, YAML.stringify({ scanners: { 'scan-in': { timezone: 'UTC' } } }));
      const file = t.write('scan-in/night1-tcp.xml', fs.readFileSync(XML), 60);
      const args = command === 'watch' ? ['watch', t.inbox, '--once', '--settle', '0s'] : ['run', '--inbox', t.inbox, '--settle', '0s'];
      await f.arm('scans');
      const r = await cli(['--db', f.url, '--config', cfg, ...args]);
      expectOneLineFault(r, /night1-tcp\.xml: not ingested, will be tried again: could not store the scan in the database .+: /, cause);
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.readdirSync(t.inbox).sort()).toEqual(['scan-in']);
      await f.disarm('scans');
      expect(await rows(f.url, 'scans')).toBe(0);
      const again = await cli(['--db', f.url, '--config', cfg, ...args]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/night1-tcp\.xml: applied as scan \d+ of scan-in .*archived as archive\//);
      expect(fs.existsSync(file)).toBe(false);
      expect(await rows(f.url, 'changes')).toBeGreaterThan(0);
    });
  }

  it(`cleanup: exit 2 with the cause and no counts, nothing deleted; the next run deletes${skip}`, async () => {
    const f = await fresh('cleanup');
    expect((await cli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML])).code).toBe(0);
    const before = await rows(f.url, 'changes');
    await f.arm('changes');
    const r = await cli(['--db', f.url, 'cleanup', '--scanner', 'scan-in']);
    expectOneLineFault(r, /could not delete from the database .+: /, cause);
    expect(r.stdout).not.toMatch(/deleted/);
    await f.disarm('changes');
    expect(await rows(f.url, 'changes')).toBe(before);
    const again = await cli(['--db', f.url, 'cleanup', '--scanner', 'scan-in']);
    expect(again.code).toBe(0);
    expect(await rows(f.url, 'changes')).toBe(0);
  });

  it(`report: a claim that cannot be committed sends nothing, exit 2; the next run sends everything${skip}`, async () => {
    const f = await fresh('claim');
    expect((await cli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML])).code).toBe(0);
    const changes = await rows(f.url, 'changes');
    const out = path.join(t.dir, 'report.jsonl');
    const cfg = path.join(t.dir, 'report.yaml');
    fs.writeFileSync(cfg, YAML.stringify({ output_agents: [{ name: 'siem', kind: 'file', path: out, include_baseline: true }] }));
    await f.arm('deliveries');
    const r = await cli(['--db', f.url, '--config', cfg, 'report']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`siem \\(file\\): FAILED: could not claim changes in the database .+: ${cause.source}`));
    expect(r.stdout + r.stderr).not.toMatch(SQL);
    expect(fs.existsSync(out)).toBe(false);
    await f.disarm('deliveries');
    expect(await rows(f.url, 'deliveries')).toBe(0);
    const again = await cli(['--db', f.url, '--config', cfg, 'report']);
    expect(again.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(changes);
  });

  it(`report: a delivery whose record cannot be committed is "sent, but not recorded", exit 2, its claims kept${skip}`, async () => {
    const f = await fresh('record');
    expect((await cli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML])).code).toBe(0);
    const changes = await rows(f.url, 'changes');
    // SQLite: the hook itself fills the disk after the claim was committed; PostgreSQL: the trigger
    // refuses the rows that become 'delivered' (the claim's inserts pass).
    const filler = path.join(disk.dir, 'filler');
    const fill = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(filler)},'a');const b=Buffer.alloc(4096);try{for(;;)fs.writeSync(fd,b)}catch(e){}`;
    const hook = db.kind === 'sqlite' ? [process.execPath, '-e', fill] : [process.execPath, '-e', ''];
    const cfg = path.join(t.dir, 'record.yaml');
    fs.writeFileSync(cfg, YAML.stringify({ output_agents: [{ name: 'h', kind: 'hook', per: 'batch', command: hook, include_baseline: true }] }));
    if (db.kind === 'postgres') await f.arm('deliveries', "NEW.status = 'delivered'", 'UPDATE');
    const r = await cli(['--db', f.url, '--config', cfg, 'report']);
    await f.disarm('deliveries');
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`h \\(hook\\): FAILED: sent, but not recorded in the database .+: ${cause.source}`));
    expect(r.stdout + r.stderr).not.toMatch(SQL);
    const db2 = await openDb(f.url, { migrate: false });
    try {
      const statuses = await db2.knex('deliveries').select('status');
      expect(statuses).toHaveLength(changes);
      expect(new Set(statuses.map((s: { status: string }) => s.status))).toEqual(new Set(['claimed']));
    } finally {
      await db2.close();
    }
  });

  const serveIt = noOpenssl ? test.skip : it;
  serveIt(`serve --ingest: 503 with the cause, nothing stored; the next upload is applied${skip}${noOpenssl ? ` (skipped: ${noOpenssl})` : ''}`, async () => {
    const f = await fresh('serve');
    const pki = await makeTestPki();
    const token = 'tok-scan-in-0123456789abcdef';
    const cfg = path.join(t.dir, 'serve.yaml');
    fs.writeFileSync(cfg, YAML.stringify({ server: { tls: { cert: pki.cert, key: pki.key }, tokens: { [token]: 'scan-in' } } }));
    const served = await startServe(['--db', f.url, '--config', cfg, 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    const post = () => fetchIt(`${served.url}/api/v1/scans`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: fs.readFileSync(XML), ca: pki.caCert });
    try {
      await f.arm('scans');
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(new RegExp(`could not store the scan in the database .+: ${cause.source}`));
      expect(refused.text).not.toMatch(SQL);
      await f.disarm('scans');
      const applied = await post();
      expect(applied.status).toBe(200);
      expect(applied.json).toMatchObject({ status: 'applied', scanner: 'scan-in' });
    } finally {
      expect(await served.stop()).toBe(0);
      fs.rmSync(pki.dir, { recursive: true, force: true });
    }
    expect(await rows(f.url, 'scans')).toBe(1);
  });

  it(`PORTDELTA_DEBUG=1 adds the database's own message before the one line${skip}`, async () => {
    const f = await fresh('debug');
    await f.arm('scans');
    // A process: db/ writes the debug line to the process's own stderr, which only a child's capture sees.
    const r = await spawnCli(['--db', f.url, 'ingest', '--scanner', 'scan-in', XML], { env: { PORTDELTA_DEBUG: '1' } });
    await f.disarm('scans');
    expect(r.code).toBe(2);
    const raw = db.kind === 'sqlite' ? /SQLITE_FULL: database or disk is full/ : /refused at commit by the test's trigger on scans/;
    expect(r.stderr).toMatch(new RegExp(`portdelta: database: .*${raw.source}[^]*portdelta: .*could not store the scan in the database`));
  });
});

// The watcher keeps its database open between files: a write that failed on a full disk must not
// keep the space its write-ahead log took, or freeing the disk would not be enough.
describe('a long-running process after a refused commit on a full disk [sqlite]', () => {
  const it = disk.problem ? test.skip : test;
  it(`gives the write-ahead log back and applies the file once space is freed, on the same connection${disk.problem ? ` (skipped: ${disk.problem})` : ''}`, async () => {
    const file = path.join(disk.dir, 'daemon.sqlite');
    await (await openDb(`sqlite:${file}`)).close(); // migrated and checkpointed, as a watcher finds it
    const db = await openDb(`sqlite:${file}`);
    const ingest = async () => {
      const { head, rest } = await openInput(XML);
      return ingestStream(db, head, rest, { source: XML, scanner: 'scan-in', scanners: {} });
    };
    try {
      disk.fill();
      await expect(ingest()).rejects.toThrow(PortdeltaError);
      expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
      disk.free();
      expect(await ingest()).toMatchObject({ status: 'applied' });
    } finally {
      disk.free();
      await db.close();
    }
  });

  it(`a disk with no byte free: watch --once cannot open the database, says so in one line, exit 2, the file stays${disk.problem ? ` (skipped: ${disk.problem})` : ''}`, async () => {
    const url = `sqlite:${path.join(disk.dir, 'full.sqlite')}`;
    expect((await cli(['--db', url, 'migrate'])).code).toBe(0);
    const t = new TempDir();
    try {
      const file = t.write('scan-in/night1-tcp.xml', fs.readFileSync(XML), 60);
      disk.fill(0);
      const r = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s']);
      expectOneLineFault(r, /cannot open the database at .+: /, /disk full: 0 bytes free on the file system of /);
      expect(fs.existsSync(file)).toBe(true);
      disk.free();
      const again = await cli(['--db', url, 'watch', t.inbox, '--once', '--settle', '0s']);
      expect(again.code).toBe(0);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      disk.free();
      fs.rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
