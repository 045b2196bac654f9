// The Overview page: per scanner its health and hosts up and open ports now; the top open ports;
// and charts of open ports and hosts up per scan per scanner (uPlot, drawn by dashboard.js from the
// element's data-chart JSON), each with a table beside it. The per-scan totals are of every
// network, so a token bound to networks gets the counts of its networks now and no per-scan chart.
import { scanSeries, stateCounts, topPorts, type ScanPoint } from '../../db/dashboard-repo';
import { readScope } from '../read-scope';
import { href, html, portHref, when, type Html } from './html';
import { everyNetwork, type PageCtx, type PageOut } from './page';
import { healthCell, statuses } from './scanners';

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
<table class="scan-series"><thead><tr><th>Scan time</th><th>Scanner</th><th class="num">Hosts up</th><th class="num">Open ports</th></tr></thead><tbody>
${[...points].reverse().slice(0, 30).map((p) => html`<tr><td>${when(new Date(p.at).toISOString())}</td><td>${p.scanner}</td><td class="num">${p.hosts_up}</td><td class="num">${p.ports_open}</td></tr>
`)}</tbody></table>
</div>`;
}

export async function overviewPage(pc: PageCtx): Promise<PageOut> {
  const scope = readScope(pc.access, {});
  const health = await statuses(pc.db, pc.config);
  const counts = new Map((await stateCounts(pc.db.knex, scope)).map((c) => [c.scanner, c]));
  const top = await topPorts(pc.db.knex, scope, 15);
  const full = everyNetwork(pc.access);
  const body = html`<h2>Scanners now</h2>
<table class="overview"><thead><tr><th>Scanner</th><th>Last applied scan</th><th>Health</th><th class="num">Hosts up</th><th class="num">Open ports</th><th>Changes</th></tr></thead><tbody>
${health.map((s) => html`<tr data-scanner="${s.scanner}"><td>${s.scanner}</td><td>${s.last_scan ? when(s.last_scan.time) : 'no scan yet'}</td><td>${healthCell(s)}</td>
<td class="num">${counts.get(s.scanner)?.hosts_up ?? 0}</td><td class="num">${counts.get(s.scanner)?.open_ports ?? 0}</td><td><a href="${href('/changes', { scanner: s.scanner })}">changes</a></td></tr>
`)}</tbody></table>
<h2>Top open ports</h2>
${top.length === 0 ? html`<p class="note">no open ports</p>` : html`<table class="top-ports"><thead><tr><th>Port</th><th class="num">Hosts</th></tr></thead><tbody>
${top.map((t) => html`<tr><td><a href="${portHref(t.proto, t.port)}">${t.port}/${t.proto}</a></td><td class="num">${t.hosts}</td></tr>
`)}</tbody></table>`}
<h2>Per scan</h2>
${full ? charts(await scanSeries(pc.db.knex, { limit: CHART_SCANS })) : html`<p class="note">Per-scan totals cover every network: they are charted for read tokens without <code>networks:</code>.</p>`}`;
  return { title: 'Overview', body };
}
