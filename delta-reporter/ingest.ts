// Ingests one scan file in one transaction: detect the format, stream and stage its records,
// resolve its scope, then apply it. A file that fails leaves nothing behind.
import type { Readable } from 'node:stream';
import type { Db } from '../db/connection';
import * as repo from '../db/ingest-repo';
import type { InputAgent } from '../input-agents/types';
import { DEFAULT_SCANNER, checkScannerName, hashing, readerFor, type Feed } from './scan-file';
import { scannerConfig, type ScannerConfig, type ScannersConfig } from '../common/scanner-config';
import type { HostRecord, IpRange, PortScope, ScanEvent, ScanMetaEvent } from '../common/types';
import { ChangeType, typeNames } from '../common/types';
import { absence, resolveScope, type ResolvedScope } from './scope';
import { Stager } from './stage';
import { SeenHosts } from './seen-hosts';
import * as seenRepo from '../db/seen-repo';
import { applyGuarded, type MassAbsence } from './absence';
import { scannerBack } from './scanner-health';
import { describeChange } from '../common/describe';
import { parseAhead, type ParsePlace } from './parse-ahead';
import type { EventBatch, EventSource } from './parse-batches';
import { FirstHostAhead, mergeMeta } from './first-host';
import type { Suppressions } from './suppression';
import { COLUMN_LIMITS, fitColumn, withoutNul } from '../db/column-limits';
import { createStaging, dropStaging, indexStaging } from '../db/staging';
import { recordScanCounts } from '../db/state-counts-repo';
import { timer, type Timer } from '../common/timing';
import type { Knex } from 'knex';
import { databaseError, databaseFault } from '../db/db-errors';
import { endTransaction, recoverConnection } from '../db/transaction';

export interface IngestOptions {
  source: string;
  /** Called now and then while the file streams in (bytes read, host records read), and once more when it is applied. */
  onProgress?: (bytes: number, hosts: number, phase?: string) => void;
  scanner?: string;
  format?: string;
  scope?: IpRange[];
  ports?: PortScope;
  /** Each scanner's settings (thresholds, scope, time zone) as configured. */
  scanners: ScannersConfig;
  /** When given, collects why absent hosts and ports were not concluded gone (`diff`). */
  notes?: Suppressions;
  /** false: stage and write every host the scan lists, even unchanged ones (comparisons and tests; the answers are the same). */
  skipUnchanged?: boolean;
  /** Where the file is parsed; by default in a worker thread unless the whole file fits the read-ahead buffer (parse-ahead.ts). */
  parseIn?: ParsePlace;
}

export interface IngestSummary {
  source: string;
  scanner: string;
  format: string;
  status: 'applied' | 'stale' | 'duplicate';
  scan_id: number;
  complete: boolean;
  started_at: string | null;
  hosts_up: number;
  ports_open: number;
  changes: Record<string, number>;
  change_count: number;
  host_scope: string;
  port_scope: string;
  /** Whether hosts / ports the file does not list were taken as gone (false: scope unknown, or the scan incomplete). */
  absence: { hosts: boolean; ports: boolean };
  /** Records that could not be read and were skipped (each has a warning); any makes the scan incomplete. */
  skipped_records: number;
  /** max_absence tripped: what the scan would have taken down or closed, held back (else absent or null). */
  mass_absence?: MassAbsence | null;
  /** The scanner's first applied scan: its changes are marked baseline (DESIGN §3). */
  baseline: boolean;
  warnings: string[];
}

/** A scan's text field from the file, fitted to its column; a cut one is said. */
function fitted(value: string | undefined, column: 'tool' | 'tool_version' | 'timezone', warnings: string[]): string | null {
  if (value === undefined) return null;
  const fit = fitColumn(value, COLUMN_LIMITS[column]);
  if (fit.length < value.length) warnings.push(`the file's ${column} is longer than ${COLUMN_LIMITS[column]} characters: stored as '${fit}'`);
  return fit;
}

const storing = (db: Db) => `could not store the scan in the database ${db.where}`;

/**
 * Ingests a stream whose first bytes (`head`) have already been read; `rest` yields the remainder.
 * A chunk of `rest` that is a whole buffer of its own is handed to the parse worker thread, and is
 * empty here afterwards; the caller must not keep it.
 */
export async function ingestStream(db: Db, head: Buffer, rest: Readable, opts: IngestOptions): Promise<IngestSummary> {
  return ingestStarted(db, startIngest(head, rest, opts));
}

/** A file whose parse has begun before the store is open; ingestStarted or abandon must follow. */
export interface StartedIngest {
  readonly opts: IngestOptions;
  readonly agent: InputAgent;
  readonly feed: Feed;
  readonly events: Promise<{ source: EventSource; ahead: FirstHostAhead<Opening> }>;
  readonly tally: { hosts: number; skipped: number };
  readonly t: Timer;
  /** Resolves once the parse has read ahead as far as it may before the ingest takes anything. */
  primed(): Promise<void>;
  /** Stops the parse and lets the file go (the store could not be opened). */
  abandon(): Promise<void>;
}

/**
 * Begins reading a file: its format and encoding from the head (refused here, as ingestStream
 * would), and the parse, which needs the configuration but not the store. `portdelta ingest` opens
 * the store meanwhile (cli/ingest.ts).
 */
export function startIngest(head: Buffer, rest: Readable, opts: IngestOptions): StartedIngest {
  const { agent, encoding } = readerFor(head, rest, opts);
  const tally = { hosts: 0, skipped: 0 };
  const feed = hashing(head, rest, (bytes) => opts.onProgress?.(bytes, tally.hosts));
  const cliScannerCfg = scannerConfig(opts.scanners, opts.scanner ?? DEFAULT_SCANNER);
  // `parse and stage` counts from here: for the ingest command's first file, the driver's loading
  // and the store's opening are in it.
  const t = timer(opts.source);
  const ctx = { source: opts.source, timezone: cliScannerCfg.timezone, portScope: opts.ports ?? cliScannerCfg.ports };
  const events = parseAhead({ agent: agent.name, encoding, ctx }, feed, opts.parseIn).then((source) => {
    const ahead = new FirstHostAhead(source, (meta) => {
      const o = openingOf(opts, meta);
      return { keepDown: keepsDownHosts(o.scope), value: o };
    });
    return { source, ahead };
  });
  // A parse that could not start (no thread) fails the file where it is taken, in ingestStarted;
  // until then nothing may reject unhandled.
  const parse = events.catch(() => null);
  const abandon = async (): Promise<void> => {
    feed.input.destroy();
    rest.destroy();
    const p = await parse;
    if (!p) return;
    await p.source.close().catch(() => undefined); // cleaning up after an error that is the one to say
    await p.ahead.read;
  };
  const primed = async (): Promise<void> => {
    const p = await parse;
    if (!p) return;
    await p.ahead.read;
    await p.source.primed();
  };
  return { opts, agent, feed, events, tally, t, primed, abandon };
}

/** Stages the started file and applies it in one transaction; a file that fails leaves nothing behind. */
export async function ingestStarted(db: Db, s: StartedIngest): Promise<IngestSummary> {
  const { opts, agent, feed, tally, t } = s;
  const meta: ScanMetaEvent = { kind: 'meta' };
  const warnings: string[] = [];
  const now = Date.now();
  const letGo = async (err: unknown): Promise<never> => {
    await s.abandon();
    throw err;
  };
  const { source, ahead } = await s.events.catch(letGo);
  source.storeOpen();
  const { conn, trx } = await openTransaction(db).catch(letGo);
  const run: Run = { db, opts, agent, conn, trx, now, meta, warnings, tally, scan: null, ahead };
  try {
    const complete = await parseIntoStaging(run, feed, source, ahead);
    const st = await openScan(run);
    await st.stager.flush();
    t.mark('parse and stage');
    await indexStaging(trx, db.dialect);
    await restageRepeated(trx, st);
    t.mark('index staging');
    opts.onProgress?.(feed.bytes(), tally.hosts, 'comparing with the stored state');
    const sha256 = feed.sha256();
    warnings.unshift(...st.scope.warnings);
    const base: SummaryBase = {
      source: opts.source, scanner: st.scannerName, format: agent.name, scan_id: st.scanId, complete,
      started_at: meta.startedAt?.toISOString() ?? null, host_scope: st.scope.hostsSource, port_scope: st.scope.portsSource,
      absence: absence(st.scope, complete), skipped_records: tally.skipped,
    };
    const dup = await repo.findScanBySha(trx, st.scannerId, sha256);
    if (dup) return await recordDuplicate(run, base, dup.id);
    const finish = await finishing(run, st, complete, sha256);
    if (finish.staleBehind !== null) return await recordStale(run, st, base, finish, finish.staleBehind);
    return await applyStaged(run, st, base, finish, t);
  } catch (err) {
    await s.abandon();
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
    if (databaseFault(err) === null) throw err;
    await recoverConnection(db, conn);
    throw databaseError(storing(db), err, db);
  } finally {
    await db.knex.client.releaseConnection(conn);
  }
}

/** What the steps of one ingest share. */
interface Run {
  db: Db;
  opts: IngestOptions;
  agent: InputAgent;
  /** The connection the transaction runs on (the bulk loader writes through it too). */
  conn: unknown;
  trx: Knex.Transaction;
  now: number;
  /** The file's scan metadata, merged as the file is read. */
  meta: ScanMetaEvent;
  warnings: string[];
  /** Host records read, and records skipped as unreadable. */
  tally: { hosts: number; skipped: number };
  scan: OpenScan | null;
  /** The parse's events up to the first host, and the scan's opening decided on from them before the store was open. */
  ahead: FirstHostAhead<Opening>;
}

/** What opening the scan takes from the file's metadata and the configuration, not from the store. */
interface Opening {
  scannerName: string;
  sc: ScannerConfig;
  scope: ResolvedScope;
}

function openingOf(opts: IngestOptions, meta: ScanMetaEvent): Opening {
  const scannerName = checkScannerName(opts.scanner ?? meta.scanner ?? DEFAULT_SCANNER);
  const sc = scannerConfig(opts.scanners, scannerName);
  return { scannerName, sc, scope: resolveScope(meta, { hosts: opts.scope, ports: opts.ports }, sc) };
}

/** Down hosts that did not time out are staged only where the scope is the hosts the file lists. */
const keepsDownHosts = (scope: ResolvedScope): boolean => scope.hosts === null || scope.includeListedHosts;

/** The scan row (status applying) and the staging it fills. */
interface OpenScan {
  scannerName: string;
  scannerId: number;
  scanId: number;
  scope: ResolvedScope;
  stager: Stager;
  /** The scanner's hosts up, and which of them the scan skipped. */
  seen: SeenHosts;
  /** The scanner's newest applied scan before this one. */
  prev: seenRepo.SeenScan;
}

type SummaryBase = Pick<IngestSummary, 'source' | 'scanner' | 'format' | 'scan_id' | 'complete' | 'started_at' | 'host_scope' | 'port_scope' | 'absence' | 'skipped_records'>;

// The transaction runs on a connection of our own, so the bulk loader can use the driver directly
// (prepared statements on SQLite, COPY on PostgreSQL) inside the same transaction.
async function openTransaction(db: Db): Promise<{ conn: unknown; trx: Knex.Transaction }> {
  const conn: unknown = await db.knex.client.acquireConnection().catch((err: unknown) => {
    throw databaseError(storing(db), err, db);
  });
  try {
    return { conn, trx: await db.knex.transaction({ connection: conn }) };
  } catch (err) {
    await db.knex.client.releaseConnection(conn);
    throw databaseError(storing(db), err, db);
  }
}

/** The scan row and staging, opened once: at the first host record, or at the end of a file without any. */
async function openScan(run: Run): Promise<OpenScan> {
  if (run.scan) return run.scan;
  const { db, opts, meta, trx, now, warnings } = run;
  // The metadata before the first host record is what the read ahead decided on, when it could.
  const { scannerName, sc, scope } = run.ahead.decided ?? openingOf(opts, meta);
  await repo.lockScanner(trx, db.dialect, scannerName);
  const scannerId = await repo.ensureScanner(trx, scannerName, sc.group ?? null, now);
  const scanId = await repo.insertScan(trx, {
    scanner_id: scannerId, source: opts.source.slice(0, 1000), format: run.agent.name, tool: fitted(meta.tool, 'tool', warnings),
    tool_version: fitted(meta.toolVersion, 'tool_version', warnings), args: meta.args === undefined ? null : withoutNul(meta.args), sha256: `applying:${now}:${Math.random()}`, started_at: meta.startedAt?.getTime() ?? null, finished_at: null,
    complete: 0, status: 'applying', resolves_names: scope.resolvesNames ? 1 : 0, timezone: fitted(meta.timezone, 'timezone', warnings),
    host_scope_source: scope.hostsSource.slice(0, 200), port_scope_source: scope.portsSource.slice(0, 200), ingested_at: now,
  });
  await createStaging(trx, db.dialect);
  const prev = await seenRepo.scannerSeen(trx, scannerId);
  const seen = await SeenHosts.load(trx, db.dialect, scannerId, opts.skipUnchanged !== false);
  const openFilteredIsOpen = sc.open_filtered === 'open';
  const seed = `v1|${scope.resolvesNames ? 1 : 0}|${openFilteredIsOpen ? 1 : 0}|${sc.max_open_ports}`;
  const stager = new Stager(db.dialect.stageWriter(run.conn), openFilteredIsOpen, keepsDownHosts(scope), seen, seed);
  run.scan = { scannerName, scannerId, scanId, scope, stager, seen, prev };
  return run.scan;
}

/** Reads the whole file: metadata merged, warnings kept, host records staged. True when the file says it is complete. */
async function parseIntoStaging(run: Run, feed: Feed, events: EventSource, batches: AsyncIterable<EventBatch>): Promise<boolean> {
  const end = { complete: false, ended: false };
  try {
    for await (const batch of batches) {
      run.tally.hosts += batch.dropped;
      for (const ev of batch.events) await take(run, ev, end, events);
    }
  } finally {
    await events.close();
  }
  await feed.done;
  return end.ended && end.complete;
}

/** One event of the file: metadata merged, a warning kept, a host record staged, the end noted. */
async function take(run: Run, ev: ScanEvent, end: { complete: boolean; ended: boolean }, events: EventSource): Promise<void> {
  const { opts, meta, warnings } = run;
  if (ev.kind === 'meta') mergeMeta(meta, ev);
  else if (ev.kind === 'warning') {
    if (ev.skippedRecord) run.tally.skipped++;
    // A skipped record names its file: the warning may be read far from the summary line.
    const where = ev.skippedRecord ? [opts.source, ev.position].filter(Boolean).join(', ') : ev.position;
    warnings.push(where ? `${where}: ${ev.message}` : ev.message);
  } else if (ev.kind === 'host') {
    run.tally.hosts++;
    let st = run.scan;
    if (!st) {
      // Whether down hosts are kept the parse was told already, from the same metadata (first-host.ts).
      st = await openScan(run);
      events.scanOpen();
    }
    await st.stager.add(ev as HostRecord);
  } else {
    end.complete = ev.complete;
    end.ended = true;
    if (ev.finishedAt) meta.finishedAt = ev.finishedAt;
    if (ev.reason && !warnings.some((w) => w.includes(ev.reason!))) warnings.push(ev.reason);
  }
}

/** Hosts skipped at their first record and listed again are staged from the state after all. */
async function restageRepeated(trx: Knex.Transaction, st: OpenScan): Promise<void> {
  if (st.seen.restage.length === 0) return;
  const back = await seenRepo.restage(trx, st.scannerId, st.scope.resolvesNames);
  st.seen.skippedHosts -= back.hosts;
  st.seen.skippedPorts -= back.ports;
}

/** A file this scanner already has: nothing is kept. */
async function recordDuplicate(run: Run, base: SummaryBase, dupId: number): Promise<IngestSummary> {
  await endTransaction(run.db, run.trx, 'rollback', storing(run.db));
  return { ...base, scan_id: dupId, status: 'duplicate', baseline: false, hosts_up: 0, ports_open: 0, changes: {}, change_count: 0, warnings: [`already ingested as scan ${dupId}: nothing changed`] };
}

interface Finishing {
  /** When the changes are dated: the file's time, else now. */
  at: number;
  /** The scanner's newest applied scan start when this file is older (stale), else null. */
  staleBehind: number | null;
  counted: { hosts: number; ports: number };
  /** The scan row's final fields. */
  row: { sha256: string; complete: number; started_at: number | null; finished_at: number | null; warnings: string; hosts_up: number; ports_open: number };
}

/** The scan's place in the scanner's timeline and what was staged. */
async function finishing(run: Run, st: OpenScan, complete: boolean, sha256: string): Promise<Finishing> {
  const { trx, meta, warnings } = run;
  // A file without any time (Dr. Portscan lines) has no place in the scanner's timeline: it is
  // never stale and never makes later files stale; only its changes are dated at import.
  const fileTime = meta.startedAt?.getTime() ?? meta.finishedAt?.getTime() ?? null;
  const at = fileTime ?? run.now;
  if (fileTime === null) warnings.push('the file records no scan time: its changes are dated at import');
  const newest = await repo.newestAppliedStart(trx, st.scannerId, st.scanId);
  const staged = await repo.countStaged(trx);
  const counted = { hosts: staged.hosts + st.seen.skippedHosts, ports: staged.ports + st.seen.skippedPorts };
  const row = { sha256, complete: complete ? 1 : 0, started_at: fileTime, finished_at: meta.finishedAt?.getTime() ?? null, warnings: JSON.stringify(warnings), hosts_up: counted.hosts, ports_open: counted.ports };
  const staleBehind = newest !== null && fileTime !== null && fileTime < newest ? newest : null;
  return { at, staleBehind, counted, row };
}

/** Older than the scanner's newest applied scan: the scan row is kept as stale, the state is not touched. */
async function recordStale(run: Run, st: OpenScan, base: SummaryBase, f: Finishing, newest: number): Promise<IngestSummary> {
  const { db, trx, warnings } = run;
  warnings.push(`older than this scanner's newest applied scan (${new Date(newest).toISOString()}): recorded as stale, state unchanged`);
  await repo.updateScan(trx, st.scanId, { ...f.row, status: 'stale', warnings: JSON.stringify(warnings) });
  await dropStaging(trx, db.dialect);
  await endTransaction(db, trx, 'commit', storing(db));
  return { ...base, status: 'stale', baseline: false, hosts_up: f.counted.hosts, ports_open: f.counted.ports, changes: {}, change_count: 0, warnings };
}

/** The staged scan applied to the scanner's state (delta-reporter/apply-scan.ts), the scan row finished, committed. */
async function applyStaged(run: Run, st: OpenScan, base: SummaryBase, f: Finishing, t: Timer): Promise<IngestSummary> {
  const { db, trx, warnings } = run;
  const { complete } = base;
  const sc = scannerConfig(run.opts.scanners, st.scannerName);
  await repo.writeScope(trx, db.dialect, st.scanId, st.scope.hosts, st.scope.hosts === null || st.scope.includeListedHosts, st.scope.ports);
  const bulk = db.dialect.stageWriter(run.conn);
  const { counts, mass } = await applyGuarded({
    trx, dialect: db.dialect, scanId: st.scanId, scannerId: st.scannerId, complete, resolvesNames: st.scope.resolvesNames, at: f.at,
    thresholds: { openAfter: sc.open_after, closeAfter: sc.close_after, downAfter: sc.down_after }, maxOpenPorts: sc.max_open_ports, notes: run.opts.notes,
    facts: st.stager.factCount > 0, prev: st.prev, bulk,
  }, sc.max_absence);
  // Closed after an apply that worked; after a failure, as with the stager's, the driver finalizes
  // SQLite's prepared statements when they are collected, and the rollback is what matters.
  await bulk.close();
  await seenRepo.advanceScanner(trx, st.scannerId, { seq: st.prev.seq + 1, scanId: st.scanId, at: f.at });
  if (mass) warnings.push(describeChange({ type: ChangeType.mass_absence, details: { ...mass }, proto: null, port: null, hostname: null, previous_hostname: null, returning: false }));
  if (complete && await scannerBack(trx, st.scannerId, st.scanId, f.at)) counts.set(ChangeType.scanner_back, 1);
  const baseline = !(await repo.hasAppliedScan(trx, st.scannerId, st.scanId));
  if (baseline) await repo.markBaseline(trx, st.scanId);
  t.mark('apply');
  await recordScanCounts(trx, { scanId: st.scanId, scannerId: st.scannerId, at: f.at, counts });
  t.mark('dashboard counts');
  const { byType, total } = countsByType(counts);
  if (!complete) warnings.push('the scan is incomplete: only new hosts and ports are taken from it; nothing is concluded closed or down');
  await repo.updateScan(trx, st.scanId, { ...f.row, status: 'applied', change_count: total, warnings: JSON.stringify(warnings) });
  await dropStaging(trx, db.dialect);
  t.mark('drop staging');
  await endTransaction(db, trx, 'commit', storing(db));
  t.mark('commit');
  if (baseline && total >= BULK_LOAD) await freshStatistics(db, warnings);
  t.mark('statistics');
  return { ...base, status: 'applied', baseline, hosts_up: f.counted.hosts, ports_open: f.counted.ports, changes: byType, change_count: total, mass_absence: mass, warnings };
}

/** Change rows from which a scanner's first scan counts as a bulk load of the state. */
const BULK_LOAD = 1000;

/** Committed already: a failure here costs only plans, so it is a warning, not the ingest's failure. */
async function freshStatistics(db: Db, warnings: string[]): Promise<void> {
  try {
    await db.dialect.refreshStatistics(db.knex);
  } catch (e) {
    warnings.push(`could not give the database statistics of the new rows (${(e as Error).message}); its planner gets them later on its own`);
  }
}

/** The summary's change counts: by combination of type names (new_host+new_port), and in all. */
function countsByType(counts: Map<number, number>): { byType: Record<string, number>; total: number } {
  const byType: Record<string, number> = {};
  let total = 0;
  for (const [mask, n] of counts) {
    total += n;
    const key = typeNames(mask).join('+');
    byType[key] = (byType[key] ?? 0) + n;
  }
  return { byType, total };
}

