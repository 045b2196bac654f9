// The Scanners page: each scanner's health (the rows of `portdelta scanners --json`), the recent
// scans (each linking to its changes) and the files that failed to ingest, filtered by scanner.
// Looking here records nothing (the CLI's `scanners` records a silence it notices; the dashboard is
// read-only). A token bound to networks sees each scanner's health but not its files or totals,
// which are of every network.
import { scannerStatuses, type ScannerStatus } from '../../delta-reporter/scanner-status';
import { healthNow } from '../../delta-reporter/scanner-health';
import { recentFailures, recentScans } from '../../db/dashboard-repo';
import { listedGroups } from '../../common/scanner-groups';
import type { Config } from '../../config/config';
import type { Db } from '../../db/connection';
import { html, pager, scanChangesHref, when, type Html } from './html';
import { everyNetwork, PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';

/** Failed files shown: the newest, of every scanner or of the one the filter names. */
const FAILURES = 50;

/** Every scanner's status as `portdelta scanners` computes it. */
export function statuses(db: Db, config: Config): Promise<ScannerStatus[]> {
  const expectations = Object.fromEntries(Object.entries(config.scanners).map(([name, s]) => [name, s.expect_every]));
  return scannerStatuses(db, { listed: listedGroups(config), expectations }, healthNow());
}

export function healthCell(s: ScannerStatus): Html {
  if (s.silent) return html`<span class="bad">silent since ${when(s.silent_since)}</span>`;
  return html`<span class="ok">ok${s.expect_every ? ` (every ${s.expect_every})` : ''}</span>`;
}

function healthTable(rows: readonly ScannerStatus[], full: boolean): Html {
  if (rows.length === 0) return html`<p class="note">no scanners</p>`;
  return html`<table class="scanners"><thead><tr><th>Scanner</th><th>Group</th><th>Last scan</th>${full ? html`<th>File</th><th class="num">Hosts up</th><th class="num">Open ports</th>` : ''}<th class="num">Scans, 7 days</th><th>Health</th>${full ? html`<th>Last failed file</th>` : ''}</tr></thead><tbody>
${rows.map((s) => html`<tr data-scanner="${s.scanner}"><td>${s.scanner}</td><td>${s.group ?? '-'}</td><td>${s.last_scan ? html`${when(s.last_scan.time)}${s.last_scan.complete ? '' : ' (incomplete)'}` : 'no scan yet'}</td>
${full ? html`<td>${s.last_scan?.file ?? ''}</td><td class="num">${s.last_scan?.hosts_up ?? ''}</td><td class="num">${s.last_scan?.ports_open ?? ''}</td>` : ''}
<td class="num">${s.scans_7d}</td><td>${healthCell(s)}</td>${full ? html`<td>${s.last_failure ? `${when(s.last_failure.time)} ${s.last_failure.file}: ${s.last_failure.reason.split('\n')[0]}` : ''}</td>` : ''}</tr>
`)}</tbody></table>`;
}

export async function scannersPage(pc: PageCtx): Promise<PageOut> {
  const full = everyNetwork(pc.access);
  const rows = await statuses(pc.db, pc.config);
  if (!full) return { title: 'Scanners', body: html`${healthTable(rows, false)}<p class="note">Scan files and their totals cover every network: they are shown to read tokens without <code>networks:</code>.</p>` };
  const page = pageNumber(pc.url);
  const scanner = param(pc.url, 'scanner');
  const scans = await recentScans(pc.db.knex, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, scanner);
  const failures = await recentFailures(pc.db.knex, FAILURES, scanner);
  const body = html`${healthTable(rows, true)}
<form class="filters" method="get" action="/scanners"><label>Scanner <select name="scanner"><option value="">every scanner</option>${rows.map((r) => html`<option value="${r.scanner}"${r.scanner === scanner ? html` selected` : ''}>${r.scanner}</option>`)}</select></label>
<button type="submit">Filter</button> (the failed files and the recent scans)</form>
<h2>Failed files${failures.length === FAILURES ? ` (the ${FAILURES} newest)` : ''}</h2>
${failures.length === 0 ? html`<p class="note">none</p>` : html`<table class="failures"><thead><tr><th>Failed</th><th>Scanner</th><th>File</th><th>Reason</th></tr></thead><tbody>
${failures.map((f) => html`<tr><td>${when(f.time)}</td><td>${f.scanner}</td><td>${f.file}</td><td>${f.reason.split('\n')[0]}</td></tr>
`)}</tbody></table>`}
<h2>Recent scans</h2>
<table class="scans"><thead><tr><th class="num">ID</th><th>Scanner</th><th>Time</th><th>File</th><th>Format</th><th>Status</th><th class="num">Hosts up</th><th class="num">Open ports</th><th class="num">Changes</th></tr></thead><tbody>
${scans.slice(0, PAGE_SIZE).map((s) => html`<tr data-scan="${s.id}"><td class="num"><a href="${scanChangesHref(s.id)}">${s.id}</a></td><td>${s.scanner}</td><td>${when(s.time)}</td><td>${s.file}</td><td>${s.format}</td><td>${s.status}${s.complete ? '' : ' (incomplete)'}</td><td class="num">${s.hosts_up}</td><td class="num">${s.ports_open}</td><td class="num"><a href="${scanChangesHref(s.id)}">${s.changes}</a></td></tr>
`)}</tbody></table>
${pager('/scanners', { scanner }, page, scans.length > PAGE_SIZE)}`;
  return { title: 'Scanners', body };
}
