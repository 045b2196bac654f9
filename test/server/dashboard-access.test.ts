// The dashboard over real HTTP on loopback, on both databases: the login exchanges a read token for
// a session cookie (never an upload token, never from another site), every answer carries the
// security headers, pages and exports show a network-bound token only its networks, the exports
// are the rows of `changes --json`, and a hostile hostname is text.
import { forEachDb } from '../helpers/db';
import type { InProcess } from '../helpers/serve';
import { BOUND_NET, LAB_YAML, serveLab, TOK_BOUND, TOK_READ, TOK_UPLOAD } from '../helpers/served-lab';
import { addHostileHost, addWideScan, fetchWithHeaders, HOSTILE_IP, HOSTILE_NAME, postLogin } from '../helpers/dashboard';
import { listChanges, listOpenPorts } from '../../db/query-repo';
import { listDisagreements } from '../../db/disagreement-repo';
import { listedGroups } from '../../common/scanner-groups';
import { changeFilter } from '../../common/query-options';
import { ipKey, parseTargets, rangesContain } from '../../common/ip';

const PAGES = ['/', '/changes', '/changes?type=new_port&scanner=scan-in&page=1', '/scanners', '/hosts/10.66.1.10', '/ports/tcp/22', `/hosts/${HOSTILE_IP}`, '/networks/10.66.1.0/24', '/networks/10.66.0.0/16', '/disagreements', '/disagreements?group=x&network=10.66.1.0/24', '/audit'];
/** The lab with its two scanners in one group, so that they disagree. */
const YAML = LAB_YAML.replace('scanners:\n', 'scanners:\n  scan-in: { group: lab }\n  scan-out: { group: lab }\n');
const inBound = (ip: string | null) => ip !== null && rangesContain(parseTargets([BOUND_NET]), ipKey(ip));

forEachDb('the dashboard', (tdb) => {
  let s: InProcess;
  const get = (p: string, headers: Record<string, string> = {}) => fetchWithHeaders(`${s.url}${p}`, { headers });
  const session = async (token: string) => {
    const r = await postLogin(s.url, token);
    expect(r.status).toBe(303);
    return { Cookie: r.cookie! };
  };

  beforeAll(async () => {
    s = await serveLab(tdb.fresh(), YAML);
    await addHostileHost(s);
    await addWideScan(s);
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
    const host = await get(`/hosts/${want[0].ip}`, cookie);
    expect(host.text).toContain(`<a href="/ports/${want[0].proto}/${want[0].port}">${want[0].port}/${want[0].proto}</a></td><td>scan-`);
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
});
