// The dashboard over real HTTP on loopback, on both databases: the login exchanges a read token for
// a session cookie (never an upload token, never from another site), every answer carries the
// security headers, pages and exports show a network-bound token only its networks, the exports
// are the rows of `changes --json` (with --verdict and --scan-id for the policy and scan filters),
// the overview's unexpected open ports are `audit --json`'s, IPv6 prefixes are mapped, and a
// hostile hostname is text.
import { forEachDb } from '../helpers/db';
import type { InProcess } from '../helpers/serve';
import { BOUND_NET, LAB_YAML, POLICY_FILE, serveLab, TOK_BOUND, TOK_BOUND_TWO, TOK_READ, TOK_UPLOAD } from '../helpers/served-lab';
import { addHostileHost, addV6Scan, addWideScan, fetchWithHeaders, HOSTILE_IP, HOSTILE_NAME, postLogin, V6_HOSTS } from '../helpers/dashboard';
import { cliJson } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';
import { listChanges, listOpenPorts } from '../../db/query-repo';
import { listDisagreements } from '../../db/disagreement-repo';
import { listedGroups } from '../../common/scanner-groups';
import { changeFilter } from '../../common/query-options';
import { ipKey, parseTargets, rangesContain } from '../../common/ip';

const PAGES = ['/', '/changes', '/changes?type=new_port&scanner=scan-in&page=1', '/changes?verdict=unexpected&scan=1', '/networks/fd00::/64', '/networks/fd00::/120', '/hosts/fd00::10', '/scanners', '/hosts/10.66.1.10', '/ports/tcp/22', `/hosts/${HOSTILE_IP}`, '/networks/10.66.1.0/24', '/networks/10.66.0.0/16', '/disagreements', '/disagreements?group=x&network=10.66.1.0/24', '/audit'];
/** The lab with its two scanners in one group, so that they disagree. */
const YAML = LAB_YAML.replace('scanners:\n', 'scanners:\n  scan-in: { group: lab }\n  scan-out: { group: lab }\n');
const inBound = (ip: string | null) => ip !== null && rangesContain(parseTargets([BOUND_NET]), ipKey(ip));

forEachDb('the dashboard', (tdb) => {
  let s: InProcess;
  let dbUrl: string;
  const get = (p: string, headers: Record<string, string> = {}) => fetchWithHeaders(`${s.url}${p}`, { headers });
  const session = async (token: string) => {
    const r = await postLogin(s.url, token);
    expect(r.status).toBe(303);
    return { Cookie: r.cookie! };
  };

  beforeAll(async () => {
    dbUrl = tdb.fresh();
    s = await serveLab(dbUrl, YAML, POLICY_FILE);
    await addHostileHost(s);
    await addWideScan(s);
    await addV6Scan(s);
  });
  afterAll(async () => s?.stop());

  test('without a session or token a page sends the browser to the login form, which carries the strict headers', async () => {
    const r = await get('/changes?type=new_port');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login?next=%2Fchanges%3Ftype%3Dnew_port');
    const login = await get('/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="token"');
    const csp = String(login.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.headers['x-content-type-options']).toBe('nosniff');
    expect(login.headers['referrer-policy']).toBe('same-origin');
  });

  test('a read token logs in: an HttpOnly, SameSite=Strict, expiring cookie that is not the token; logout ends it', async () => {
    const r = await postLogin(s.url, TOK_READ, { Origin: s.url }, '/changes?scanner=scan-in');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/changes?scanner=scan-in');
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Max-Age=43200/);
    expect(set).not.toMatch(/Secure/);
    expect(set).not.toContain(TOK_READ);
    const cookie = { Cookie: r.cookie! };
    const page = await get('/changes?scanner=scan-in', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Changes</h1>');
    const out = await fetchWithHeaders(`${s.url}/logout`, { method: 'POST', headers: { ...cookie, Origin: s.url } });
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await get('/changes', cookie)).status).toBe(303);
    expect(s.log()).not.toContain(TOK_READ);
  });

  test('no login from another site, with an upload token, or with an unknown token', async () => {
    for (const headers of [{ Origin: 'https://evil.example' }, {}, { Origin: 'null' }] as Array<Record<string, string>>) {
      const r = await postLogin(s.url, TOK_READ, headers);
      expect([r.status, r.cookie]).toEqual([403, null]);
    }
    const upload = await postLogin(s.url, TOK_UPLOAD);
    expect([upload.status, upload.cookie]).toEqual([403, null]);
    expect(upload.text).toMatch(/upload token/);
    const unknown = await postLogin(s.url, 'not-a-token');
    expect([unknown.status, unknown.cookie]).toEqual([401, null]);
    expect((await postLogin(s.url, TOK_READ, { Origin: s.url }, 'https://evil.example/')).headers.location).toBe('/');
    expect((await postLogin(s.url, TOK_READ, { Origin: s.url }, '//evil.example/')).headers.location).toBe('/');
    expect((await postLogin(s.url, TOK_READ, { Origin: s.url }, '/\\evil.example/')).headers.location).toBe('/');
    expect((await postLogin(s.url, TOK_READ, { Origin: s.url }, '/changes\u2028x')).headers.location).toBe('/');
    expect((await get('/login?next=%2F%E2%80%A8', { Cookie: (await session(TOK_READ)).Cookie })).headers.location).toBe('/');
    expect((await fetchWithHeaders(`${s.url}/logout`, { method: 'POST', headers: { Origin: 'https://evil.example' } })).status).toBe(403);
  });

  test('Authorization: Bearer works on pages; an upload token is refused', async () => {
    expect((await get('/scanners', { Authorization: `Bearer ${TOK_READ}` })).status).toBe(200);
    expect((await get('/scanners', { Authorization: `Bearer ${TOK_UPLOAD}` })).status).toBe(403);
    expect((await get('/scanners', { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  test.each(PAGES)('%s: 200, HTML without inline script or style', async (p) => {
    const r = await get(p, await session(TOK_READ));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(r.text).not.toMatch(/<style|<[a-z][^>]*\s(style|on[a-z]+)=/i);
  });

  test('the assets are served by portdelta itself, nothing else under /assets', async () => {
    const js = await get('/assets/uPlot.iife.min.js');
    expect([js.status, js.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(js.text).toMatch(/uPlot/);
    for (const a of ['/assets/dashboard.js', '/assets/dashboard.css', '/assets/uPlot.min.css']) expect((await get(a)).status).toBe(200);
    for (const a of ['/assets/..%2Fpackage.json', '/assets/page.js', '/assets/']) expect((await get(a)).status).toBe(404);
  });

  test('a hostile hostname is shown as text on every page that names it', async () => {
    const cookie = await session(TOK_READ);
    for (const p of [`/hosts/${HOSTILE_IP}`, '/changes?scanner=web-lab', '/ports/tcp/80']) {
      const r = await get(p, cookie);
      expect(r.status).toBe(200);
      expect(r.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
      expect(r.text).not.toContain(HOSTILE_NAME);
    }
  });

  test('the exports are the rows of `changes --json` for the same filter', async () => {
    const cookie = await session(TOK_READ);
    const q = 'since=2000-01-01&type=new_port,port_reopened&scanner=scan-in&network=10.66.1.0/24';
    const want = await listChanges(s.db.knex, changeFilter({ since: '2000-01-01', type: 'new_port,port_reopened', scanner: 'scan-in', network: ['10.66.1.0/24'] }));
    expect(want.length).toBeGreaterThan(3);
    const jsonl = await get(`/changes.jsonl?${q}`, cookie);
    expect(jsonl.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual(want);
    const csv = (await get(`/changes.csv?${q}`, cookie)).text.trim().split('\r\n');
    expect(csv[0]).toBe('id,detected_at,scanner,group,ip,proto,port,types,hostname,previous_hostname,returning,baseline,scan_id');
    expect(csv.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(want.map((c) => c.id));
    const page = await get(`/changes?${q}`, cookie);
    const ids = [...page.text.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(want.map((c) => c.id).reverse());
  });

  test('the network map: a cell per address linking to its host, a cell per /24 above that; the jump boxes redirect', async () => {
    const cookie = await session(TOK_READ);
    const map = await get('/networks/10.66.1.0/24', cookie);
    const cells = [...map.text.matchAll(/<a class="cell heat(\d)" href="\/hosts\/([^"]+)" title="[^"]*">(\d+)</g)].map((m) => [m[2], Number(m[3])]);
    const open = await listOpenPorts(s.db.knex, { networks: parseTargets(['10.66.1.0/24']) });
    const want = new Map<string, Set<string>>();
    for (const o of open) want.set(o.ip, (want.get(o.ip) ?? new Set()).add(`${o.proto}/${o.port}`));
    for (const [ip, n] of cells) if (want.has(ip as string)) expect(n).toBe(want.get(ip as string)!.size);
    expect(cells.filter(([ip]) => want.has(ip as string)).length).toBe(want.size);
    expect(map.text.match(/class="cell /g)!.length).toBe(256 + 7);
    const block = await get('/networks/10.66.0.0/16', cookie);
    expect(block.text).toMatch(/href="\/networks\/10\.66\.1\.0\/24" title="10\.66\.1\.0\/24: \d+ hosts?, \d+ open ports?"/);
    // the /16's cell of a /24 (counted per /24 by the database) says what the /24's map (per address) says
    const perBlock = /href="\/networks\/10\.66\.1\.0\/24" title="10\.66\.1\.0\/24: (\d+) hosts?, (\d+) open ports?"/.exec(block.text)!;
    const hostCells = [...map.text.matchAll(/<a class="cell heat\d" href="\/hosts\/[^"]+" title="[^"]*">(\d+)</g)];
    expect(Number(perBlock[1])).toBe(hostCells.length);
    expect(Number(perBlock[2])).toBe(hostCells.reduce((n, m) => n + Number(m[1]), 0));
    expect(Number(perBlock[2])).toBeGreaterThan(5);
    expect((await get('/networks?cidr=10.66.1.77/24', cookie)).headers.location).toBe('/networks/10.66.1.0/24');
    expect((await get('/hosts?ip=10.66.1.10', cookie)).headers.location).toBe('/hosts/10.66.1.10');
    expect((await get('/ports?port=53/udp', cookie)).headers.location).toBe('/ports/udp/53');
    expect((await get('/networks/10.0.0.0/8', cookie)).status).toBe(400);
  });

  test('the disagreements page has the rows of `disagreements --json`', async () => {
    const want = await listDisagreements(s.db.knex, { listed: listedGroups(s.config) });
    expect(want.length).toBeGreaterThan(0);
    const cookie = await session(TOK_READ);
    const page = await get('/disagreements', cookie);
    expect(page.status).toBe(200);
    const rows = [...page.text.matchAll(/<tr><td>lab<\/td><td><a href="\/hosts\/([^"]+)">[^<]*<\/a><\/td><td><a href="\/ports\/(\w+)\/(\d+)"/g)].map((m) => `${m[1]} ${m[3]}/${m[2]}`);
    expect(rows).toEqual(want.map((d) => `${d.ip} ${d.port}/${d.proto}`));
    // Each host page has the rows of `disagreements --network IP`, and the hostname history.
    for (const ip of new Set(want.map((d) => d.ip))) {
      const host = await get(`/hosts/${ip}`, cookie);
      const table = /<table class="disagreements">[\s\S]*?<\/table>/.exec(host.text)![0];
      const shown = [...table.matchAll(/<tr><td>(\w+)<\/td><td><a href="\/ports\/(\w+)\/(\d+)">/g)].map((m) => `${m[1]} ${m[3]}/${m[2]}`);
      expect(shown).toEqual((await listDisagreements(s.db.knex, { networks: parseTargets([ip]), listed: listedGroups(s.config) })).map((d) => `${d.group} ${d.port}/${d.proto}`));
      expect(host.text).toMatch(/<h2>Hostname history<\/h2>\n<table><thead><tr><th>Detected<\/th>/);
    }
    const groupRows = (await get('/changes.jsonl?group=lab', cookie)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(groupRows).toEqual((await listChanges(s.db.knex, {})).filter((c) => c.group === 'lab'));
    expect(groupRows.length).toBeGreaterThan(0);
  });

  test('a long list is paginated: the pages together are the rows of `changes --json`, newest first', async () => {
    const cookie = await session(TOK_READ);
    const want = (await listChanges(s.db.knex, changeFilter({ scanner: 'wide' }))).map((c) => c.id).reverse();
    expect(want.length).toBe(260);
    const ids: number[] = [];
    for (let n = 1, next = true; next; n++) {
      const page = await get(`/changes?scanner=wide&page=${n}`, cookie);
      const rows = [...page.text.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
      expect(rows.length).toBe(n < 3 ? 100 : 60);
      ids.push(...rows);
      next = page.text.includes('rel="next"');
      expect(page.text.includes('rel="prev"')).toBe(n > 1);
      expect(page.text).toContain(n < 3 ? `href="/changes?scanner=wide&amp;page=${n + 1}"` : 'page 3');
    }
    expect(ids).toEqual(want);
  });

  test('a bad filter is a 400 page that says why', async () => {
    const r = await get('/changes?port=99999', await session(TOK_READ));
    expect(r.status).toBe(400);
    expect(r.text).toContain('port: &#39;99999&#39; is not a port number');
    const scan = await get('/changes?scan=latest', await session(TOK_READ));
    expect([scan.status, scan.text.includes('scan: &#39;latest&#39; is not a scan id')]).toEqual([400, true]);
  });

  test('a token bound to networks sees only them: pages, exports, counts', async () => {
    const cookie = await session(TOK_BOUND);
    const all = await listChanges(s.db.knex, {});
    const jsonl = (await get('/changes.jsonl', cookie)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(all.filter((c) => inBound(c.ip)));
    expect(jsonl.length).toBeLessThan(all.length);
    const page = await get('/changes', cookie);
    const hosts = [...page.text.matchAll(/href="\/hosts\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.every(inBound)).toBe(true);
    expect((await get('/hosts/10.66.1.53', cookie)).status).toBe(404);
    expect((await get(`/hosts/${HOSTILE_IP}`, cookie)).status).toBe(404);
    const port = await get('/ports/tcp/22', cookie);
    expect(port.text).not.toContain('10.9.0.');
    const overview = await get('/', cookie);
    expect(overview.text).not.toMatch(/chart-ports|chart-hosts/);
    // The changes chart counts only its networks' changes: each type of each change once.
    const spec = /id="chart-changes" data-chart="([^"]+)"/.exec(overview.text)![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const chart = JSON.parse(spec) as { series: Array<{ label: string; values: number[] }> };
    const perType = Object.fromEntries(chart.series.map((x) => [x.label, x.values.reduce((a, b) => a + b, 0)]));
    const want: Record<string, number> = {};
    for (const c of all.filter((c) => inBound(c.ip))) for (const t of c.types) want[t] = (want[t] ?? 0) + 1;
    expect(perType).toEqual(want);
    const open = await listOpenPorts(s.db.knex, { networks: parseTargets([BOUND_NET]) });
    const top = [...overview.text.matchAll(/<a href="\/ports\/tcp\/(\d+)">\d+\/tcp<\/a><\/td><td class="num">(\d+)</g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(top.length).toBeGreaterThan(0);
    for (const [p, n] of top) expect(n).toBe(new Set(open.filter((o) => o.port === p).map((o) => o.ip)).size);
    expect(overview.text).toContain('networks 10.66.1.8/29');
    const map = await get('/networks/10.66.1.0/24', cookie);
    const mapped = [...map.text.matchAll(/<a class="cell heat\d" href="\/hosts\/([^"]+)"/g)].map((m) => m[1]);
    expect(mapped.length).toBeGreaterThan(0);
    expect(mapped.every(inBound)).toBe(true);
  });

  const rowIds = (text: string) => [...text.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
  const jsonlOf = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ChangeRow);
  const cliChanges = (args: string[]) => cliJson<ChangeRow[]>(['--db', dbUrl, 'changes', ...args]);

  test('the policy verdict filter: the page and both exports are the rows of `changes --verdict`, and the verdicts split the log', async () => {
    const cookie = await session(TOK_READ);
    const cases: Array<[string, string[]]> = [['verdict=unexpected', ['--verdict', 'unexpected']], ['verdict=expected&scanner=scan-in', ['--verdict', 'expected', '--scanner', 'scan-in']], ['verdict=none&type=new_host', ['--verdict', 'none', '--type', 'new_host']]];
    for (const [q, args] of cases) {
      const want = await cliChanges([...args, '--policy', POLICY_FILE]);
      expect(want.length).toBeGreaterThan(0);
      expect(jsonlOf((await get(`/changes.jsonl?${q}`, cookie)).text)).toEqual(want);
      const csv = (await get(`/changes.csv?${q}`, cookie)).text.trim().split('\r\n');
      expect(csv.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(want.map((c) => c.id));
      const page = await get(`/changes?${q}`, cookie);
      expect(rowIds(page.text)).toEqual(want.map((c) => c.id).reverse().slice(0, 100));
      expect(page.text).toContain(`<option value="${q.split('&')[0].slice('verdict='.length)}" selected>`);
    }
    const parts = await Promise.all(['expected', 'unexpected', 'none'].map(async (v) => jsonlOf((await get(`/changes.jsonl?verdict=${v}`, cookie)).text).map((c) => c.id)));
    expect(parts.flat().sort((a, b) => a - b)).toEqual((await listChanges(s.db.knex, {})).map((c) => c.id));
    expect(parts.every((p) => p.length > 0)).toBe(true);
    // The verdicts themselves, by the example policy: denied and unlisted ports opening are unexpected, ssh is expected.
    const opened = (rows: ChangeRow[]) => rows.filter((c) => c.types.includes('new_port')).map((c) => `${c.ip} ${c.port}/${c.proto}`);
    const byVerdict = async (v: string) => opened(jsonlOf((await get(`/changes.jsonl?verdict=${v}`, cookie)).text));
    expect(await byVerdict('unexpected')).toEqual(expect.arrayContaining(['10.66.1.10 8443/tcp', '10.66.1.11 8080/tcp', '10.66.1.13 110/tcp']));
    expect(await byVerdict('unexpected')).not.toContain('10.66.1.10 22/tcp');
    expect(await byVerdict('expected')).toEqual(expect.arrayContaining(['10.66.1.10 22/tcp', '10.66.1.12 5432/tcp']));
    expect(await byVerdict('none')).toEqual(expect.arrayContaining([`${HOSTILE_IP} 80/tcp`, '10.78.0.1 443/tcp']));
    // A later page counts only the rows of the verdict.
    const none = await cliChanges(['--verdict', 'none', '--policy', POLICY_FILE]);
    expect(none.length).toBeGreaterThan(200);
    expect(rowIds((await get('/changes?verdict=none&page=2', cookie)).text)).toEqual(none.map((c) => c.id).reverse().slice(100, 200));
    // Each row of the page says its verdict and the owner the policy names.
    const judged = (await get('/changes?verdict=unexpected', cookie)).text;
    expect(judged).toMatch(/<td>port 8443\/tcp newly open<\/td><td class="verdict-unexpected">unexpected \(web-team\)<\/td><\/tr>/);
    expect((await get('/changes?verdict=none', cookie)).text).not.toMatch(/class="verdict-(un)?expected"/);
    const bad = await get('/changes?verdict=maybe', cookie);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('verdict: &#39;maybe&#39; is not a policy verdict');
    // A token bound to networks: the same filter, only its networks.
    const bound = jsonlOf((await get('/changes.jsonl?verdict=unexpected', await session(TOK_BOUND))).text);
    expect(bound).toEqual(await cliChanges(['--verdict', 'unexpected', '--policy', POLICY_FILE, '--network', BOUND_NET]));
    expect(bound.length).toBeGreaterThan(0);
    expect(bound.every((c) => inBound(c.ip))).toBe(true);
  });

  test("the overview lists the open ports the policy does not expect, with owners: `audit --json`'s rows, within a bound token's networks", async () => {
    const rowsOf = (text: string) => [...text.matchAll(/<tr><td><a href="\/hosts\/([^"]+)">[^<]*<\/a><\/td><td><a href="\/ports\/(\w+)\/(\d+)">[^<]*<\/a><\/td>(?:<td>[^<]*<\/td>){3}<td>([^<]*)<\/td><\/tr>/g)]
      .map((m) => `${decodeURIComponent(m[1])} ${m[3]}/${m[2]} ${m[4]}`);
    type Violation = { ip: string; proto: string; port: number; owner: string | null };
    for (const [token, net] of [[TOK_READ, []], [TOK_BOUND, ['--network', BOUND_NET]]] as Array<[string, string[]]>) {
      const want = await cliJson<Violation[]>(['--db', dbUrl, 'audit', '--policy', POLICY_FILE, ...net]);
      expect(want.length).toBeGreaterThan(0);
      const overview = await get('/', await session(token));
      const table = /<table class="unexpected">[\s\S]*?<\/table>/.exec(overview.text)![0];
      expect(rowsOf(table)).toEqual(want.slice(0, 10).map((v) => `${v.ip} ${v.port}/${v.proto} ${v.owner ?? ''}`));
      expect(overview.text).toContain(`<a href="/audit">${want.length} open ports</a> the policy does not expect`);
    }
  });

  test('each recent scan links to its changes: the rows of `changes --scan-id`, within a bound token\'s networks', async () => {
    const cookie = await session(TOK_READ);
    const scanners = await get('/scanners', cookie);
    const links = [...scanners.text.matchAll(/<tr data-scan="(\d+)"><td class="num"><a href="\/changes\?scan=(\d+)">/g)];
    expect(links.length).toBeGreaterThan(5);
    expect(links.every((m) => m[1] === m[2])).toBe(true);
    expect((await get('/', cookie)).text).toMatch(/<tr data-scan="(\d+)"><td><a href="\/changes\?scan=\1">/);
    const boundCookie = await session(TOK_BOUND);
    let seen = 0;
    for (const [, id] of links) {
      const want = await cliChanges(['--scan-id', id]);
      seen += want.length;
      expect(rowIds((await get(`/changes?scan=${id}`, cookie)).text)).toEqual(want.map((c) => c.id).reverse().slice(0, 100));
      expect(jsonlOf((await get(`/changes.jsonl?scan=${id}`, cookie)).text)).toEqual(want);
      expect(jsonlOf((await get(`/changes.jsonl?scan=${id}`, boundCookie)).text)).toEqual(want.filter((c) => inBound(c.ip)));
    }
    expect(seen).toBeGreaterThan(0);
    // The recent scans and failed files filtered by scanner, the filter kept by the pager.
    const dmz = await get('/scanners?scanner=dmz', cookie);
    const dmzScans = [...dmz.text.matchAll(/<tr data-scan="(\d+)">(?:<td[^>]*>[\s\S]*?<\/td>)<td>([^<]*)<\/td>/g)].map((m) => m[2]);
    expect(dmzScans).toEqual(['dmz', 'dmz']);
    expect(dmz.text).toContain('<option value="dmz" selected>');
    expect(/<table class="failures">[\s\S]*?<\/table>/.exec((await get('/scanners?scanner=scan-in', cookie)).text)![0].match(/<tr><td>/g)!.length).toBe(2);
    expect((await get('/scanners?scanner=dmz', cookie)).text).not.toContain('<table class="failures">');
    expect((await get('/ports/tcp/22?scanner=dmz', cookie)).text).toContain('<input name="scanner" value="dmz"');
  });

  test('an IPv6 prefix is mapped: a /64 as 256 blocks of /72 linking to their hosts, a /120 per address; bound tokens see only theirs', async () => {
    const cookie = await session(TOK_READ);
    const wide = await get('/networks/fd00::/64', cookie);
    expect(wide.status).toBe(200);
    expect(wide.text).toContain('<h1>Network fd00::/64</h1>');
    expect(wide.text).toContain('3 known hosts, 4 open ports now; one cell per /72');
    expect(wide.text.match(/class="cell /g)!.length).toBe(256 + 7);
    // The block of fd00::10 and fd00::20 leads to the /120 holding both; the far host's block to the host.
    expect(wide.text).toContain('<a class="cell heat2" href="/networks/fd00::/120" title="fd00::/72: 2 hosts, 3 open ports">3</a>');
    expect(wide.text).toContain(`href="/hosts/${encodeURIComponent(V6_HOSTS.far)}" title="fd00::8000:0:0:0/72: 1 host, 1 open port">1</a>`);
    expect(wide.text).toContain('href="/networks/fd00::100:0:0:0/72" title="fd00::100:0:0:0/72: nothing known"');
    expect(wide.text.match(/<table class="netmap-cells">[\s\S]*?<\/table>/)![0].match(/<tr><td>/g)!.length).toBe(2);
    const near = await get('/networks/fd00::/120', cookie);
    expect(near.text.match(/class="cell /g)!.length).toBe(256 + 7);
    expect(near.text).toContain(`<a class="cell heat1" href="/hosts/${encodeURIComponent('fd00::10')}" title="fd00::10: 1 host, 2 open ports">2</a>`);
    expect((await get('/networks?cidr=fd00::1234/64', cookie)).headers.location).toBe('/networks/fd00::/64');
    expect((await get('/networks/fd00::/8', cookie)).status).toBe(400);
    expect((await get('/hosts/fd00::10', cookie)).text).toContain('<a href="/networks/fd00::/64">its /64</a>');
    // lab-8 is bound to 10.66.1.8/29: no IPv6 host at all; two-nets to fd00::/64: not fd00:1::7.
    const none = await get('/networks/fd00::/64', await session(TOK_BOUND));
    expect(none.text).toContain('0 known hosts, 0 open ports now');
    expect(none.text).not.toMatch(/href="\/hosts\//);
    const two = await session(TOK_BOUND_TWO);
    expect((await get('/networks/fd00::/64', two)).text).toContain('3 known hosts');
    const outside = await get('/networks/fd00:1::/64', two);
    expect(outside.text).toContain('0 known hosts');
    expect(outside.text).not.toContain(encodeURIComponent(V6_HOSTS.outside));
    expect((await get('/networks/fd00:1::/64', cookie)).text).toContain('1 known host,');
  });
});
