// The Changes page: the change log with filters (time range, type, scanner, group, network, port,
// scan, policy verdict), newest first, a page of rows at a time, each row linking to its host; and
// its export as CSV or JSON Lines: the filtered rows, oldest first, exactly as `changes --json`
// gives them (`--scan-id`, `--verdict`). The verdict is the output agents' (change-verdict.ts).
import { listChanges } from '../../db/query-repo';
import { changeFilter, sinceOption } from '../../common/query-options';
import { describeChange } from '../../common/describe';
import { CHANGE_TYPE_NAMES, type ChangeFilter, type ChangeRow } from '../../common/types';
import { HttpError } from '../http-error';
import { readScope } from '../read-scope';
import { href, hostLink, html, pager, portHref, when, type Html } from './html';
import { PAGE_SIZE, pageNumber, param, type PageCtx, type PageOut } from './page';
import { listChangesByVerdict, verdictName, verdictOf, verdictOption, VERDICTS, type Verdict } from '../../output-agents/change-verdict';
import type { Policy } from '../../output-agents/types';

const FILTERS = ['since', 'until', 'type', 'scanner', 'group', 'network', 'port', 'scan', 'verdict'] as const;
type Params = Partial<Record<(typeof FILTERS)[number], string>>;

/** `scan=`: a scan's id, as the Scanners page and `ingest` give it (checked here to name the parameter, not --scan-id). */
function scanParam(v: string | undefined): string | undefined {
  if (v !== undefined && !/^\d{1,15}$/.test(v)) throw new HttpError(400, `scan: '${v}' is not a scan id`, 'give the number of a scan, e.g. scan=42 (the Scanners page links each scan)');
  return v;
}

function portParam(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new HttpError(400, `port: '${v}' is not a port number`, 'give one port, e.g. port=443');
  return Number(v);
}

interface Query {
  params: Params;
  filter: ChangeFilter;
  verdict: Verdict | undefined;
}

/** The filter the URL asks for, narrowed to what the reader may see. */
function changesQuery(pc: PageCtx, policy: Policy | null): Query {
  const params: Params = {};
  for (const k of FILTERS) params[k] = param(pc.url, k);
  const asked = changeFilter({ since: params.since, type: params.type, scanner: params.scanner, network: params.network?.split(/[\s,]+/).filter(Boolean), scanId: scanParam(params.scan) });
  const filter = { ...asked, untilMs: sinceOption(params.until, Date.now(), 'until'), group: params.group, port: portParam(params.port) };
  const verdict = verdictOption(params.verdict, 'verdict');
  if (verdict !== undefined && !policy) throw new HttpError(400, 'verdict: this server has no target-state policy to judge changes by', 'set `policy:` in the server\'s config (docs/target-state.md) and restart `serve`, or leave the verdict empty');
  return { params, filter: readScope(pc.access, filter), verdict };
}

/** The rows of the query: every filter in SQL, then the policy's verdict (when asked) in code. */
function queryRows(pc: PageCtx, q: Query, policy: Policy | null, page: Partial<ChangeFilter>): Promise<ChangeRow[]> {
  const f = { ...q.filter, ...page };
  return q.verdict === undefined ? listChanges(pc.db.knex, f) : listChangesByVerdict(pc.db.knex, f, policy, q.verdict);
}

/** The filter form; the policy verdict only when the server has a policy to judge by. */
function filterForm(p: Params, judged: boolean): Html {
  const field = (name: keyof Params, label: string, hint: string, list?: string) =>
    html`<label>${label} <input name="${name}" value="${p[name] ?? ''}" placeholder="${hint}"${list ? html` list="${list}"` : ''}></label>`;
  return html`<form class="filters" method="get" action="/changes">
${field('since', 'Since', '7d or 2026-11-20')}${field('until', 'Until', '1d or 2026-11-27')}
${field('type', 'Type', 'new_port,port_reopened', 'change-types')}${field('scanner', 'Scanner', 'scan-in')}
${field('group', 'Group', 'inside')}${field('network', 'Network', '10.66.1.0/24')}${field('port', 'Port', '443')}${field('scan', 'Scan ID', '42')}
${judged ? html`<label>Policy <select name="verdict"><option value="">any verdict</option>${VERDICTS.map((v) => html`<option value="${v}"${v === p.verdict ? html` selected` : ''}>${v}</option>`)}</select></label>` : ''}
<datalist id="change-types">${CHANGE_TYPE_NAMES.map((t) => html`<option value="${t}">`)}</datalist>
<button type="submit">Filter</button> <a href="/changes">clear</a>
</form>`;
}

/** The policy's verdict on a change and the owner it names, for the Policy column. */
function verdictCell(policy: Policy, r: ChangeRow): Html {
  const v = verdictOf(policy, r);
  const name = verdictName(v);
  return html`<td class="verdict-${name}">${name === 'none' ? '' : name}${v.owner ? ` (${v.owner})` : ''}</td>`;
}

/** The change rows, newest first as given; with a policy, a column with its verdict on each. */
export function changeRows(rows: readonly ChangeRow[], policy: Policy | null = null): Html {
  if (rows.length === 0) return html`<p class="note">no changes</p>`;
  return html`<table class="changes"><thead><tr><th class="num">ID</th><th>Detected</th><th>Scanner</th><th>Host</th><th>Hostname</th><th>Port</th><th>Change</th>${policy ? html`<th>Policy</th>` : ''}</tr></thead><tbody>
${rows.map((r) => html`<tr data-id="${r.id}"><td class="num">${r.id}</td><td>${when(r.detected_at)}</td><td>${r.scanner}</td><td>${hostLink(r.ip)}</td><td>${r.hostname ?? ''}</td>
<td>${r.port !== null && r.proto ? html`<a href="${portHref(r.proto, r.port)}">${r.port}/${r.proto}</a>` : ''}</td><td>${describeChange(r)}${r.baseline ? ' (first scan)' : ''}</td>${policy ? verdictCell(policy, r) : ''}</tr>
`)}</tbody></table>`;
}

export async function changesPage(pc: PageCtx, policy: Policy | null): Promise<PageOut> {
  const q = changesQuery(pc, policy);
  const params = q.params;
  const page = pageNumber(pc.url);
  const rows = await queryRows(pc, q, policy, { newestFirst: true, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
  const shown = rows.slice(0, PAGE_SIZE);
  const body = html`${filterForm(params, policy !== null)}
<p>Export these rows: <a href="${href('/changes.csv', params)}">CSV</a> · <a href="${href('/changes.jsonl', params)}">JSON Lines</a> (oldest first, the rows of <code>portdelta changes --json</code>)</p>
${changeRows(shown, policy)}
${pager('/changes', params, page, rows.length > PAGE_SIZE)}`;
  return { title: 'Changes', body };
}

const CSV_COLUMNS = ['id', 'detected_at', 'scanner', 'group', 'ip', 'proto', 'port', 'types', 'hostname', 'previous_hostname', 'returning', 'baseline', 'scan_id'] as const;

/** A CSV cell: quoted when needed; a leading = + - @ (a formula to a spreadsheet) is defused with a quote mark. */
function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('|') : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function changesExport(pc: PageCtx, format: 'csv' | 'jsonl', policy: Policy | null): Promise<PageOut> {
  const rows = await queryRows(pc, changesQuery(pc, policy), policy, {});
  const text = format === 'jsonl'
    ? rows.map((r) => JSON.stringify(r) + '\n').join('')
    : [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
  const type = format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8';
  return { answer: { status: 200, body: text, contentType: type, headers: { 'Content-Disposition': `attachment; filename="portdelta-changes.${format}"` } } };
}
