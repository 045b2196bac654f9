// The Overview page: per scanner its health and hosts up and open ports now; the top open ports;
// and charts of open ports and hosts up per scan per scanner (uPlot, drawn by dashboard.js from the
// element's data-chart JSON), each with a table beside it. The per-scan totals are of every
// network, so a token bound to networks gets the counts of its networks now and no per-scan chart.
// With a target-state policy, the open ports it does not expect (overview-policy.ts).
import { changesPerDay, scanSeries, stateCounts, topPorts, type ScanPoint } from '../../db/dashboard-repo';
import { CHANGE_TYPE_NAMES, ChangeType, type IpRange } from '../../common/types';
import { readScope } from '../read-scope';
import { href, html, portHref, scanChangesHref, when, type Html } from './html';
import { everyNetwork, type PageCtx, type PageOut } from './page';
import { healthCell, statuses } from './scanners';
import { unexpectedNow } from './overview-policy';
import type { TargetPolicy } from '../../output-agents/policy';

/** Scans shown in the charts (the newest). */
const CHART_SCANS = 500;

/** One chart's data for uPlot: x = scan times (s), one series per scanner, null where it did not scan. */
function chartSpec(title: string, points: readonly ScanPoint[], value: (p: ScanPoint) => number): string {
  const xs = [...new Set(points.map((p) => Math.round(p.at / 1000)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const scanners = [...new Set(points.map((p) => p.scanner))].sort();
  const series = scanners.map((name) => {
    const values: Array<number | null> = xs.map(() => null);
    for (const p of points) if (p.scanner === name) values[index.get(Math.round(p.at / 1000))!] = value(p);
    return { label: name, values };
  });
  return JSON.stringify({ title, x: xs, series });
}

function charts(points: readonly ScanPoint[]): Html {
  if (points.length === 0) return html`<p class="note">no applied scans yet</p>`;
  return html`<div class="charts">
<div class="chart" id="chart-ports" data-chart="${chartSpec('Open ports per scan', points, (p) => p.ports_open)}"></div>
<div class="chart" id="chart-hosts" data-chart="${chartSpec('Hosts up per scan', points, (p) => p.hosts_up)}"></div>
<table class="scan-series"><thead><tr><th>Scan time (its changes)</th><th>Scanner</th><th class="num">Hosts up</th><th class="num">Open ports</th></tr></thead><tbody>
${[...points].reverse().slice(0, 30).map((p) => html`<tr data-scan="${p.scan_id}"><td><a href="${scanChangesHref(p.scan_id)}">${when(new Date(p.at).toISOString())}</a></td><td>${p.scanner}</td><td class="num">${p.hosts_up}</td><td class="num">${p.ports_open}</td></tr>
`)}</tbody></table>
</div>`;
}

/** Days shown in the changes chart (the newest that had changes). */
const CHART_DAYS = 60;

/** Changes per night stacked by type (a change of several types counts once for each), with the table beside it. */
async function changesChart(pc: PageCtx, scope: { scanner?: string; networks?: IpRange[] }): Promise<Html> {
  const groups = await changesPerDay(pc.db.knex, scope);
  const days = [...new Set(groups.map((g) => g.day))].sort((a, b) => a - b).slice(-CHART_DAYS);
  if (days.length === 0) return html`<p class="note">no changes yet</p>`;
  const index = new Map(days.map((d, i) => [d, i]));
  const counts = new Map<string, number[]>();
  for (const g of groups) {
    const i = index.get(g.day);
    if (i === undefined) continue;
    for (const t of CHANGE_TYPE_NAMES) {
      if ((g.type & ChangeType[t]) === 0) continue;
      const row = counts.get(t) ?? counts.set(t, days.map(() => 0)).get(t)!;
      row[i] += g.n;
    }
  }
  const types = CHANGE_TYPE_NAMES.filter((t) => counts.has(t));
  const spec = JSON.stringify({ title: 'Changes per night, by type', kind: 'stacked', x: days.map((d) => d * 86400), series: types.map((t) => ({ label: t, values: counts.get(t) })) });
  const day = (d: number) => new Date(d * 86400e3).toISOString().slice(0, 10);
  return html`<div class="charts"><div class="chart" id="chart-changes" data-chart="${spec}"></div>
<table class="changes-per-night"><thead><tr><th>Night (UTC)</th>${types.map((t) => html`<th class="num">${t}</th>`)}</tr></thead><tbody>
${[...days].reverse().slice(0, 30).map((d) => html`<tr><td><a href="${href('/changes', { since: day(d), until: day(d + 1) })}">${day(d)}</a></td>${types.map((t) => html`<td class="num">${counts.get(t)![index.get(d)!]}</td>`)}</tr>
`)}</tbody></table></div>`;
}

export async function overviewPage(pc: PageCtx, policy: TargetPolicy | null): Promise<PageOut> {
  const scope = readScope(pc.access, {});
  const health = await statuses(pc.db, pc.config);
  const counts = new Map((await stateCounts(pc.db.knex, scope)).map((c) => [c.scanner, c]));
  const top = await topPorts(pc.db.knex, scope, 10);
  const full = everyNetwork(pc.access);
  const body = html`<h2>Scanners now</h2>
<table class="overview"><thead><tr><th>Scanner</th><th>Last applied scan</th><th>Health</th><th class="num">Hosts up</th><th class="num">Open ports</th><th>Changes</th></tr></thead><tbody>
${health.map((s) => html`<tr data-scanner="${s.scanner}"><td>${s.scanner}</td><td>${s.last_scan ? when(s.last_scan.time) : 'no scan yet'}</td><td>${healthCell(s)}</td>
<td class="num">${counts.get(s.scanner)?.hosts_up ?? 0}</td><td class="num">${counts.get(s.scanner)?.open_ports ?? 0}</td><td><a href="${href('/changes', { scanner: s.scanner })}">changes</a></td></tr>
`)}</tbody></table>
<h2>Unexpected open ports now (policy)</h2>
${await unexpectedNow(pc, policy, scope)}
<h2>Changes per night</h2>
${await changesChart(pc, scope)}
<h2>Per scan</h2>
${full ? charts(await scanSeries(pc.db.knex, { limit: CHART_SCANS })) : html`<p class="note">Per-scan totals cover every network: they are charted for read tokens without <code>networks:</code>.</p>`}
<h2>Top open ports</h2>
${top.length === 0 ? html`<p class="note">no open ports</p>` : html`<table class="top-ports"><thead><tr><th>Port</th><th class="num">Hosts</th></tr></thead><tbody>
${top.map((t) => html`<tr><td><a href="${portHref(t.proto, t.port)}">${t.port}/${t.proto}</a></td><td class="num">${t.hosts}</td></tr>
`)}</tbody></table>`}`;
  return { title: 'Overview', body };
}
