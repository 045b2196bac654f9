// The ingest with its parse in a worker thread (delta-reporter/parse-ahead.ts) against a real
// database: the same summary as the parse in process, the down hosts the scope has no use for still
// counted, and on every way out (applied, duplicate, damaged file, read error) no thread left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { forEachDb, withDb } from '../helpers/db';
import type { Db } from '../../db/connection';
import { ingestStream, type IngestOptions, type IngestSummary } from '../../delta-reporter/ingest';
import type { ParsePlace } from '../../delta-reporter/parse-ahead';
import { runningWorkers } from '../../delta-reporter/parse-in-worker';
import { ScanRejectedError } from '../../common/errors';
import { cli, SCANS } from '../helpers/cli';

const HOSTS = 12000;

function hostXml(i: number): string {
  const up = i % 4 === 0;
  const ip = `10.1.${(i >> 8) & 255}.${i & 255}`;
  const ports = up ? `<ports><port protocol="tcp" portid="${22 + (i % 5)}"><state state="open" reason="syn-ack"/><service name="ssh" method="table" conf="3"/></port></ports>` : '';
  return `<host starttime="1700000001" endtime="1700000002"><status state="${up ? 'up' : 'down'}" reason="syn-ack"/>\n<address addr="${ip}" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n${ports}\n<times srtt="782" rttvar="988" to="100000"/>\n</host>\n`;
}

/** nmap -v over 10.1.0.0/16: a quarter of the hosts up, the rest listed down; about 3 MB. */
const SCAN = Buffer.from([
  '<?xml version="1.0" encoding="UTF-8"?>\n<nmaprun scanner="nmap" args="nmap -v -p 20-30 10.1.0.0/16" start="1700000000" version="7.93" xmloutputversion="1.05">\n',
  '<scaninfo type="syn" protocol="tcp" numservices="11" services="20-30"/>\n',
  ...Array.from({ length: HOSTS }, (_, i) => hostXml(i)),
  '<runstats><finished time="1700000100" exit="success"/><hosts up="3000" down="9000" total="12000"/></runstats>\n</nmaprun>\n',
].join(''));

interface Result { summary: IngestSummary; hostsRead: number }

async function ingest(db: Db, bytes: Buffer, parseIn: ParsePlace | undefined, rest?: Readable): Promise<Result> {
  let hostsRead = -1;
  const opts: IngestOptions = { source: 'v.xml', scanner: 'v', scanners: {}, parseIn, onProgress: (_b, hosts, phase) => { if (phase) hostsRead = hosts; } };
  const summary = await ingestStream(db, Buffer.from(bytes.subarray(0, 65536)), rest ?? Readable.from([Buffer.from(bytes.subarray(65536))]), opts);
  return { summary, hostsRead };
}

forEachDb('an ingest parsing in a worker thread', (tdb) => {
  afterEach(() => expect(runningWorkers()).toBe(0));

  test('gives the summary the parse in process gives, counting every host record read', async () => {
    const results: Record<string, unknown> = {};
    for (const place of ['worker', 'parts', 'in-process', undefined] as const) {
      results[place ?? 'auto'] = await withDb(tdb.fresh(), async (db) => {
        const { summary, hostsRead } = await ingest(db, SCAN, place);
        return { ...summary, scan_id: 0, hostsRead };
      });
    }
    expect(results.worker).toEqual(results['in-process']);
    expect(results.parts).toEqual(results['in-process']);
    expect(results.auto).toEqual(results['in-process']);
    expect(results.worker).toMatchObject({ status: 'applied', hosts_up: HOSTS / 4, ports_open: HOSTS / 4, hostsRead: HOSTS, host_scope: expect.stringContaining('10.1.0.0/16') });
  });

  test('the ingest command ends the threads it started while opening the store, whether a file took them or not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-warm-'));
    try {
      const big = path.join(dir, 'big.xml');
      fs.writeFileSync(big, SCAN);
      const url = tdb.fresh();
      const r = await cli(['--db', url, '--json', 'ingest', '--scanner', 'v', big]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)[0]).toMatchObject({ status: 'applied', hosts_up: HOSTS / 4 });
      expect(runningWorkers()).toBe(0);
      // a file too small for threads, and a file that is not there: the threads started are ended
      const small = await cli(['--db', url, 'ingest', '--scanner', 'w', path.join(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml')]);
      expect(small.code).toBe(0);
      expect(runningWorkers()).toBe(0);
      expect((await cli(['--db', url, 'ingest', path.join(dir, 'missing.xml')])).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a store the ingest command cannot open stops the parse it began: no thread is left, the file is untouched, and the next run applies it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-early-'));
    try {
      const big = path.join(dir, 'big.xml');
      fs.writeFileSync(big, SCAN);
      // A store that cannot be there: under a plain file, or a PostgreSQL database never created.
      const bad = tdb.kind === 'sqlite' ? `sqlite:${path.join(big, 'store.sqlite')}` : Object.assign(new URL(tdb.fresh()), { pathname: '/pd_no_such_database' }).toString();
      const r = await cli(['--db', bad, '--json', 'ingest', '--scanner', 'v', big]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(tdb.kind === 'sqlite' ? /big\.xml\/store\.sqlite/ : /pd_no_such_database/);
      expect(r.stdout).toBe('');
      expect(runningWorkers()).toBe(0);
      expect(fs.readFileSync(big).equals(SCAN)).toBe(true);
      // The same file into a store that opens: applied, as if nothing had gone before.
      const ok = await cli(['--db', tdb.fresh(), '--json', 'ingest', '--scanner', 'v', big, path.join(dir, 'missing.xml')]);
      expect(ok.code).toBe(2);
      expect(JSON.parse(ok.stdout)).toMatchObject([{ status: 'applied', hosts_up: HOSTS / 4 }, { status: 'failed', error: expect.stringContaining('no such file') }]);
      expect(runningWorkers()).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file ingested twice is a duplicate, and the thread ends either way', async () => {
    await withDb(tdb.fresh(), async (db) => {
      expect((await ingest(db, SCAN, 'worker')).summary.status).toBe('applied');
      expect(runningWorkers()).toBe(0);
      expect((await ingest(db, SCAN, 'worker')).summary.status).toBe('duplicate');
    });
  });

  test('a damaged file fails as in process: the same error, nothing stored, no thread left', async () => {
    const cut = Buffer.concat([SCAN.subarray(0, SCAN.length >> 1), Buffer.from('<host><<<>>>\n')]);
    await withDb(tdb.fresh(), async (db) => {
      const errors: unknown[] = [];
      for (const place of ['worker', 'parts', 'in-process'] as const) errors.push(await ingest(db, cut, place).then(() => null, (e: unknown) => e));
      expect(errors[0]).toBeInstanceOf(ScanRejectedError);
      const fields = (e: unknown) => ({ ...(e as ScanRejectedError), message: (e as Error).message, cls: (e as Error).constructor.name, cause: undefined });
      expect(fields(errors[0])).toEqual(fields(errors[2]));
      expect(fields(errors[1])).toEqual(fields(errors[2]));
      expect(Number((await db.knex('scans').count({ n: '*' }))[0].n)).toBe(0);
    });
  });

  test('a read error stops the parse and fails the ingest as it does in process', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read', errno: -5 });
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(SCAN.subarray(65536, 1 << 20));
      yield Buffer.from(SCAN.subarray(1 << 20, 3 << 20));
      throw eio;
    }
    await withDb(tdb.fresh(), async (db) => {
      const errors: Error[] = [];
      for (const place of ['worker', 'parts', 'in-process'] as const) {
        errors.push(await ingest(db, SCAN, place, Readable.from(failing())).then(() => new Error('no error'), (e: Error) => e));
      }
      expect(errors[0].cause ?? errors[0]).toBe(eio);
      expect(errors[1].cause ?? errors[1]).toBe(eio);
      expect({ cls: errors[0].constructor.name, message: errors[0].message }).toEqual({ cls: errors[2].constructor.name, message: errors[2].message });
      expect({ cls: errors[1].constructor.name, message: errors[1].message }).toEqual({ cls: errors[2].constructor.name, message: errors[2].message });
    });
  });
});
