// Read tokens bound to networks (`server.read_tokens` entries with `networks:`), over real HTTP on
// loopback, on both databases: every read route answers only rows inside the token's networks,
// whatever the query asks; scanner events (no address) are not shown to it; an unbound read token
// still sees everything.
import { forEachDb } from '../helpers/db';
import { fetchIt } from '../helpers/http';
import type { InProcess } from '../helpers/serve';
import { BOUND_NET, serveLab, TOK_BOUND, TOK_BOUND_TWO, TOK_READ } from '../helpers/served-lab';
import { listChanges, listHosts, listOpenPorts } from '../../db/query-repo';
import { parseTargets, rangesContain, ipKey } from '../../common/ip';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const inside = (net: string[]) => {
  const ranges = parseTargets(net);
  return (r: { ip: string | null }) => r.ip !== null && rangesContain(ranges, ipKey(r.ip));
};

/** Every read route of the API, with a query that asks for more than a bound token may see. */
const ROUTES = ['/api/v1/changes', '/api/v1/changes?network=10.66.1.0/24', '/api/v1/state', '/api/v1/state?network=10.66.1.0/16&scanner=scan-in'];

forEachDb('a read token bound to networks', (tdb) => {
  let s: InProcess;
  const get = (p: string, token: string) => fetchIt(`${s.url}${p}`, { headers: bearer(token) });

  beforeAll(async () => {
    s = await serveLab(tdb.fresh());
  });
  afterAll(async () => s?.stop());

  test('an unbound read token sees every row, scanner events included', async () => {
    const all = await listChanges(s.db.knex, {});
    expect((await get('/api/v1/changes', TOK_READ)).json).toEqual(all);
    expect(all.some((c) => c.ip === null)).toBe(true);
    expect(all.some((c) => c.ip !== null && !inside([BOUND_NET])(c))).toBe(true);
    expect((await get('/api/v1/state', TOK_READ)).json).toEqual(await listOpenPorts(s.db.knex, {}));
  });

  test.each(ROUTES)('sees only its networks on %s, and no scanner events', async (route) => {
    const everything = (await get(route, TOK_READ)).json as Array<{ ip: string | null }>;
    const mine = (await get(route, TOK_BOUND)).json as Array<{ ip: string | null }>;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(everything.filter(inside([BOUND_NET])));
    expect(mine.length).toBeLessThan(everything.length);
  });

  test('a query inside its networks narrows further; one outside them gets nothing', async () => {
    const one = (await get('/api/v1/changes?network=10.66.1.10', TOK_BOUND)).json as Array<{ ip: string }>;
    expect(one.length).toBeGreaterThan(0);
    expect(new Set(one.map((c) => c.ip))).toEqual(new Set(['10.66.1.10']));
    for (const route of ['/api/v1/changes?network=10.66.1.1', '/api/v1/state?network=10.66.1.53', '/api/v1/changes?network=10.9.0.0/24']) {
      const r = await get(route, TOK_BOUND);
      expect([r.status, r.json]).toEqual([200, []]);
    }
  });

  test('several networks (addresses, CIDRs, IPv6) bind as one list', async () => {
    const nets = ['10.66.1.1', '10.66.1.53/32', 'fd00::/64'];
    const mine = (await get('/api/v1/changes', TOK_BOUND_TWO)).json as Array<{ ip: string }>;
    expect(new Set(mine.map((c) => c.ip))).toEqual(new Set(['10.66.1.1', '10.66.1.53']));
    expect(mine).toEqual((await listChanges(s.db.knex, {})).filter(inside(nets)));
  });

  test('/api/v1/hosts/{ip}: its hosts as an unbound token sees them (counts included), any other host is a 404', async () => {
    const host = await get('/api/v1/hosts/10.66.1.10', TOK_BOUND);
    expect(host.status).toBe(200);
    expect(host.json).toEqual((await get('/api/v1/hosts/10.66.1.10', TOK_READ)).json);
    const hosts = await listHosts(s.db.knex, {});
    expect(host.json.hosts).toEqual(hosts.filter((h) => h.ip === '10.66.1.10'));
    expect(host.json.hosts.some((h: { open_ports: number }) => h.open_ports > 0)).toBe(true);
    expect((await get('/api/v1/hosts/10.66.1.53', TOK_READ)).status).toBe(200);
    const other = await get('/api/v1/hosts/10.66.1.53', TOK_BOUND);
    expect(other.status).toBe(404);
    expect(other.text).not.toMatch(/scan-in|scan-out/);
  });

  test('the log names the token by its name, never by its text', async () => {
    await get('/api/v1/state', TOK_BOUND);
    expect(s.log()).toMatch(/GET \/api\/v1\/state 200 read_token=lab-8 /);
    expect(s.log()).toMatch(/ read_token=#1 /);
    for (const t of [TOK_BOUND, TOK_BOUND_TWO, TOK_READ]) expect(s.log()).not.toContain(t);
  });
});
