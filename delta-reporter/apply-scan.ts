// Applies one staged scan to the per-scanner state: walks the staged hosts and ports page by page
// beside their stored state, lets the pure classifier decide, and writes state and changes in bulk.
import type { Dialect } from '../db/dialects/types';
import * as repo from '../db/ingest-repo';
import { classifyHostMissing, classifyHostUp, classifyPort, isFirstConclusion, type HostPrev, type PortPrev, type PortSeen, type Thresholds } from './classify';
import { ChangeType } from '../common/types';
import { timer } from '../common/timing';
import { collectIfLarge } from '../common/heap';
import type { Proto } from '../common/types';
import type { Suppressions, SuppressionReason } from './suppression';
import { applyFacts } from './apply-facts';
import * as seen from '../db/seen-repo';
import type { Cell, StageWriter } from '../db/stage-writer';

export interface ApplyContext {
  trx: repo.Trx;
  /** The database's way of walking pages and writing in bulk (Db.dialect). */
  dialect: Dialect;
  scanId: number;
  scannerId: number;
  complete: boolean;
  resolvesNames: boolean;
  /** Scan time (epoch ms): last_seen of what it saw and detected_at of its changes. */
  at: number;
  thresholds: Thresholds;
  maxOpenPorts: number;
  /** max_absence tripped: negatives reached for the first time are held back (classify.ts isFirstConclusion). */
  hold?: boolean;
  /** Counts what this apply concluded (or held) for the first time; delta-reporter/absence.ts reads it. */
  firsts?: FirstConclusions;
  /** Collects why a missing host or port was not concluded gone (`diff` explains with it). */
  notes?: Suppressions;
  /** The scan staged service fingerprints or certificates (nmap -sV, ssl-cert); without, that step is skipped. */
  facts?: boolean;
  /** The scanner's newest applied scan before this one: host rows skipped since are brought up to it first (db/seen-repo.ts). */
  prev: seen.SeenScan;
  /** The transaction's bulk writer (COPY on PostgreSQL, a prepared INSERT on SQLite): the walks' change rows go through it. */
  bulk: StageWriter;
}

/** host_down / port_closed conclusions reached for the first time (or, with hold, held back). */
export class FirstConclusions {
  hosts = 0;
  ports = 0;
  /** Hosts taken down for the first time: their ports' closing counts as first too. */
  readonly downKeys = new Set<string>();
}

interface ChangeExtra {
  proto?: string;
  port?: number;
  hostname?: string | null;
  previous_hostname?: string | null;
  returning?: number;
}

/** One change row onto `out`, its cells in the order of STAGE_COLUMNS.changes. */
function change(ctx: ApplyContext, out: Cell[], ip_key: string, ip: string, type: number, x: ChangeExtra = {}): void {
  out.push(ctx.scannerId, ctx.scanId, ip_key, ip, x.proto ?? null, x.port ?? null, type, x.hostname ?? null, x.previous_hostname ?? null, x.returning ?? 0, ctx.at);
}

const hostPrev = (r: { status: string | null; hostname: string | null; names_known: number | null; miss_streak: number | null; ever_down: number | null; all_ports: number | null }): HostPrev | null =>
  r.status === null
    ? null
    : { status: r.status as 'up' | 'down', hostname: r.hostname, namesKnown: !!r.names_known, missStreak: Number(r.miss_streak), everDown: !!r.ever_down, allPorts: !!r.all_ports };

async function hostsUp(ctx: ApplyContext): Promise<void> {
  for await (const page of ctx.dialect.pages(ctx.trx, repo.hostsUp(ctx.scanId, ctx.scannerId))) {
    const states: object[] = [];
    const changes: Cell[] = [];
    for (const r of page) {
      const d = classifyHostUp(hostPrev(r), { ptr: r.ptr, resolvesNames: ctx.resolvesNames, openCount: Number(r.open_count) }, ctx.maxOpenPorts);
      const n = d.next!;
      states.push({
        scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, status: n.status, hostname: n.hostname, names_known: n.namesKnown ? 1 : 0,
        mac: r.mac ?? r.known_mac, first_seen: ctx.at, last_seen: ctx.at, miss_streak: 0, ever_down: n.everDown ? 1 : 0, all_ports: n.allPorts ? 1 : 0,
        last_change: d.change, last_scan_id: ctx.scanId, change_scan_id: ctx.scanId,
      });
      if (d.change) {
        change(ctx, changes, r.ip_key, r.ip, d.change, { hostname: d.hostname, previous_hostname: d.previousHostname, returning: d.returning ? 1 : 0 });
      }
    }
    await repo.upsertHosts(ctx.trx, ctx.dialect, states, repo.HOST_UPDATE_COLS);
    await ctx.bulk.write('changes', changes);
  }
}

async function hostsMissing(ctx: ApplyContext): Promise<void> {
  if (!ctx.complete) return;
  for await (const page of ctx.dialect.pages(ctx.trx, repo.hostsMissing(ctx.scanId, ctx.scannerId))) {
    const states: object[] = [];
    const changes: Cell[] = [];
    for (const r of page) {
      const prev = hostPrev({ ...r, status: 'up' })!;
      const d = classifyHostMissing(prev, !!r.in_scope && !r.timed_out, ctx.thresholds, ctx.hold);
      if (ctx.notes && !d.change) noteHost(ctx, r, d);
      if (!d.next) continue;
      if (d.held || (d.change & ChangeType.host_down && isFirstConclusion(prev.missStreak, ctx.thresholds.downAfter))) {
        ctx.firsts?.downKeys.add(r.ip_key);
        if (ctx.firsts) ctx.firsts.hosts++;
      }
      states.push({
        scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, status: d.next.status, names_known: r.names_known, first_seen: ctx.at, last_seen: ctx.at,
        miss_streak: d.next.missStreak, ever_down: d.next.everDown ? 1 : 0, all_ports: d.next.allPorts ? 1 : 0,
        last_change: d.change, last_scan_id: 0, change_scan_id: ctx.scanId,
      });
      if (d.change) {
        change(ctx, changes, r.ip_key, r.ip, d.change, { hostname: d.hostname });
      }
    }
    await repo.upsertHosts(ctx.trx, ctx.dialect, states, repo.HOST_MISS_COLS);
    await ctx.bulk.write('changes', changes);
  }
}

/** Why a missing host stays up (hostsMissing decided no host_down). */
function noteHost(ctx: ApplyContext, r: { ip: string; in_scope: number; timed_out: number }, d: { held?: boolean; next: { missStreak: number } | null }): void {
  const reason: SuppressionReason = !r.in_scope ? 'host_out_of_scope' : r.timed_out ? 'host_timed_out' : d.held ? 'held' : 'down_after';
  const streak = reason === 'down_after' ? { streak: d.next!.missStreak, threshold: ctx.thresholds.downAfter } : {};
  ctx.notes!.add({ ip: r.ip, proto: null, port: null, reason, ...streak });
}

/** Why a reported-open port stays open though this scan did not show it open. */
function notePort(ctx: ApplyContext, r: { ip: string; proto: string; port: number }, reason: SuppressionReason, streak?: { streak: number; threshold: number }): void {
  ctx.notes!.add({ ip: r.ip, proto: r.proto as Proto, port: Number(r.port), reason, ...streak });
}

const portPrev = (r: { reported: string | null; open_streak: number | null; miss_streak: number | null }): PortPrev | null =>
  r.open_streak === null ? null : { reported: r.reported as PortPrev['reported'], openStreak: Number(r.open_streak), missStreak: Number(r.miss_streak) };

async function portsSeen(ctx: ApplyContext): Promise<void> {
  for await (const page of ctx.dialect.pages(ctx.trx, repo.portsSeen(ctx.scanId, ctx.scannerId))) {
    const states: object[] = [];
    const changes: Cell[] = [];
    for (const r of page) {
      const prev = portPrev(r);
      const seen: PortSeen = r.open && !r.all_ports ? 'open' : 'noevidence';
      const d = classifyPort(prev, seen, (Number(r.host_change) & ChangeType.new_host) !== 0, ctx.thresholds);
      if (ctx.notes && !d.change) noteSeenPort(ctx, r, prev, seen);
      // A port the scan could not judge is still marked as looked at, so the missing-ports pass skips it.
      const next = d.next ?? prev;
      if (next) {
        states.push({
          scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, proto: r.proto, port: r.port, reported: next.reported,
          open_streak: next.openStreak, miss_streak: next.missStreak, service: r.service, first_seen: ctx.at, last_seen: ctx.at,
          last_change: d.next ? d.change : Number(r.last_change ?? 0), last_scan_id: ctx.scanId,
        });
      }
      if (d.change) {
        change(ctx, changes, r.ip_key, r.ip, d.change, { proto: r.proto, port: r.port, hostname: r.hostname, returning: d.change & ChangeType.new_host && r.ever_down ? 1 : 0 });
      }
    }
    await repo.upsertPorts(ctx.trx, ctx.dialect, states, repo.PORT_SEEN_COLS);
    await ctx.bulk.write('changes', changes);
  }
}

/** A reported-open port the scan listed without evidence: open|filtered, or its host answering on every port. */
function noteSeenPort(ctx: ApplyContext, r: { ip: string; proto: string; port: number; all_ports: number }, prev: PortPrev | null, seen: PortSeen): void {
  if (seen === 'noevidence' && prev?.reported === 'open') notePort(ctx, r, r.all_ports ? 'all_ports' : 'open_filtered');
}

/** Ports this scan saw open that open_after keeps from being reported yet (first sightings included). */
async function noteOpenAfter(ctx: ApplyContext): Promise<void> {
  if (!ctx.notes || ctx.thresholds.openAfter <= 1) return;
  for (const r of await repo.pendingOpen(ctx.trx, ctx.scanId, ctx.scannerId)) {
    notePort(ctx, r, 'open_after', { streak: Number(r.open_streak), threshold: ctx.thresholds.openAfter });
  }
}

/**
 * What the scan says of a reported port it does not list, and, when it can say nothing, why (in
 * the order a person would check). A port whose host is missing but not yet down says nothing
 * either; its host's note explains it.
 */
function missingPortSeen(ctx: ApplyContext, r: repo.MissingPortRow): { seen: PortSeen; why: SuppressionReason | null } {
  if (Number(r.host_change) & ChangeType.host_down) return { seen: 'hostDown', why: null };
  const why: SuppressionReason | null | undefined = !ctx.complete ? 'incomplete'
    : !r.host_seen ? null
    : r.all_ports ? 'all_ports'
    : !r.in_host_scope ? 'host_out_of_scope'
    : !r.in_port_scope ? 'port_out_of_scope'
    : r.unknown ? 'port_unknown'
    : r.timed_out ? 'host_timed_out'
    : undefined;
  return why === undefined ? { seen: 'missing', why: null } : { seen: 'unknown', why };
}

/** A port closed (or held back) for the first time: by its own first miss past close_after, or with a host taken down for the first time. */
function firstClose(ctx: ApplyContext, ipKey: string, seen: PortSeen, prev: PortPrev | null, d: { change: number; held?: boolean }): boolean {
  if (d.held) return true;
  if (!(d.change & ChangeType.port_closed)) return false;
  return seen === 'hostDown' ? ctx.firsts!.downKeys.has(ipKey) : isFirstConclusion(prev!.missStreak, ctx.thresholds.closeAfter);
}

function noteMissingPort(ctx: ApplyContext, r: repo.MissingPortRow, seen: PortSeen, why: SuppressionReason | null, d: { held?: boolean; next: PortPrev | null }): void {
  if (seen === 'unknown') {
    if (why) notePort(ctx, r, why);
  } else if (d.held) notePort(ctx, r, 'held');
  else if (seen === 'missing' && d.next) notePort(ctx, r, 'close_after', { streak: d.next.missStreak, threshold: ctx.thresholds.closeAfter });
}

async function portsMissing(ctx: ApplyContext): Promise<void> {
  for await (const page of ctx.dialect.pages(ctx.trx, repo.portsMissing(ctx.scanId, ctx.scannerId))) {
    const states: object[] = [];
    const changes: Cell[] = [];
    for (const r of page) {
      const prev = portPrev(r);
      const { seen, why } = missingPortSeen(ctx, r);
      const d = classifyPort(prev, seen, false, ctx.thresholds, ctx.hold);
      if (ctx.notes && !d.change && prev?.reported === 'open') noteMissingPort(ctx, r, seen, why, d);
      if (!d.next) continue;
      if (ctx.firsts && firstClose(ctx, r.ip_key, seen, prev, d)) ctx.firsts.ports++;
      states.push({
        scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, proto: r.proto, port: r.port, reported: d.next.reported,
        open_streak: d.next.openStreak, miss_streak: d.next.missStreak, first_seen: ctx.at, last_seen: ctx.at, last_change: d.change, last_scan_id: 0,
      });
      if (d.change) {
        change(ctx, changes, r.ip_key, r.ip, d.change, { proto: r.proto, port: r.port, hostname: r.hostname });
      }
    }
    await repo.upsertPorts(ctx.trx, ctx.dialect, states, repo.PORT_MISS_COLS);
    await ctx.bulk.write('changes', changes);
  }
}

/**
 * Set-based statements for the bulk (unchanged rows, first sightings), the classifier's walks for
 * the rest; hosts before ports, since a port's change depends on its host's. Returns the number of
 * changes per type mask.
 */
export async function applyScan(ctx: ApplyContext): Promise<Map<number, number>> {
  const newRows = { ...ctx, openAfter: ctx.thresholds.openAfter };
  const steps: ReadonlyArray<readonly [string, () => Promise<void>]> = [
    ['catch up', () => seen.catchUp(ctx.trx, ctx.dialect, ctx.scannerId, ctx.prev)],
    ['unchanged hosts', () => repo.applyUnchangedHosts(ctx.trx, ctx)],
    ['new hosts', () => repo.applyNewHosts(ctx.trx, newRows)],
    ['hosts up', () => hostsUp(ctx)],
    ['hosts missing', () => hostsMissing(ctx)],
    ['unchanged ports', () => repo.applyUnchangedPorts(ctx.trx, ctx)],
    ['new ports', () => repo.applyNewPorts(ctx.trx, newRows)],
    ['ports seen', () => portsSeen(ctx)],
    ['ports missing', () => portsMissing(ctx)],
    ['services and certificates', () => (ctx.facts ? applyFacts(ctx) : Promise.resolve())],
    ['notes', () => noteOpenAfter(ctx)],
    ['settle', () => seen.settle(ctx.trx, { scannerId: ctx.scannerId, scanId: ctx.scanId, seq: ctx.prev.seq + 1, complete: ctx.complete })],
  ];
  const t = timer('apply');
  for (const [name, step] of steps) {
    await step();
    collectIfLarge();
    t.mark(name);
  }
  return repo.countChanges(ctx.trx, ctx.scanId);
}
