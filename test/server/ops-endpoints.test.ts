// GET /healthz and GET /metrics over real HTTP on loopback, on both databases: the numbers are the
// store's (checked against the rows `changes --json` lists and the tables, never written down), the
// access rules, hostile label values, one registry per server, and a store that stops answering.
import { register as globalRegistry } from 'prom-client';
import { forEachDb } from '../helpers/db';
import { fetchIt } from '../helpers/http';
import { serveInProcess, type InProcess } from '../helpers/serve';
import { HOSTILE_AGENT, HOSTILE_SCANNER, LAB_YAML, serveLab, TOK_BOUND, TOK_READ, TOK_UPLOAD } from '../helpers/served-lab';
import { listChanges } from '../../db/query-repo';
import { openDb } from '../../db/connection';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** The samples of an exposition, as `name{labels}` → value, label values unescaped as Prometheus reads them. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: string[] = [];
    const re = /([a-z_]+)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? '')) {
      labels.push(`${l[1]}=${l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))}`);
    }
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

/** What the store holds, counted here from its rows. */
async function expected(s: InProcess): Promise<Map<string, number>> {
  const want = new Map<string, number>();
  const add = (key: string, n: number) => want.set(key, (want.get(key) ?? 0) + n);
  for (const c of await listChanges(s.db.knex, {})) for (const t of c.types) add(`portdelta_changes_total{scanner=${c.scanner},type=${t}}`, 1);
  const scans = await s.db.knex('scans as sc').join('scanners as s', 's.id', 'sc.scanner_id').where('sc.status', 'applied').select('s.name', 'sc.started_at', 'sc.finished_at');
  for (const r of scans) {
    add(`portdelta_scans_applied_total{scanner=${r.name}}`, 1);
    const at = Number(r.finished_at ?? r.started_at) / 1000;
    const key = `portdelta_last_applied_scan_timestamp_seconds{scanner=${r.name}}`;
    want.set(key, Math.max(want.get(key) ?? 0, at));
  }
  for (const r of await s.db.knex('scan_failures').select('scanner')) add(`portdelta_scans_failed_total{scanner=${r.scanner}}`, 1);
  for (const r of await s.db.knex('deliveries').select('agent', 'status', 'lease_until')) {
    add(`portdelta_deliveries_total{agent=${r.agent},status=${r.status}}`, 1);
    add(`portdelta_delivery_claims_expired{agent=${r.agent}}`, r.status === 'claimed' && Number(r.lease_until) < Date.now() ? 1 : 0);
  }
  return want;
}

forEachDb('the operations endpoints', (tdb) => {
  let s: InProcess;
  let url: string;
  const get = (p: string, headers: Record<string, string> = {}, base = s.url) => fetchIt(`${base}${p}`, { headers });

  beforeAll(async () => {
    url = tdb.fresh();
    s = await serveLab(url);
  });
  afterAll(async () => s?.stop());

  test('/healthz answers 200 without a token when the store answers, and HEAD works too', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', database: 'ok' });
    expect((await fetchIt(`${s.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  test('/metrics needs a read token for every network: none or unknown 401, an upload or network-bound token 403', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', bearer('x'.repeat(40)))).status).toBe(401);
    const upload = await get('/metrics', bearer(TOK_UPLOAD));
    expect(upload.status).toBe(403);
    expect(upload.json.error).toMatch(/upload token .*counts every scanner/);
    const bound = await get('/metrics', bearer(TOK_BOUND));
    expect(bound.status).toBe(403);
    expect(bound.json.error).toMatch(/bound to networks/);
    expect(bound.json.remedy).toMatch(/metrics_public/);
    expect(s.log()).not.toMatch(new RegExp(`${TOK_UPLOAD}|${TOK_BOUND}`));
    expect(s.log()).toMatch(/GET \/metrics 403 read_token=lab-8/);
  });

  test('/metrics counts what the store holds: scans, failed files, last scan time, changes per type, deliveries', async () => {
    const r = await get('/metrics', bearer(TOK_READ));
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^# HELP portdelta_/m);
    const got = samples(r.text);
    const want = await expected(s);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    // The lab has all of these; a metric that is always empty would pass the comparison above.
    for (const key of ['portdelta_changes_total{scanner=dmz,type=mass_absence}', 'portdelta_changes_total{scanner=scan-in,type=new_port}',
      'portdelta_deliveries_total{agent=mail,status=delivered}', 'portdelta_deliveries_total{agent=mail,status=suppressed}',
      'portdelta_delivery_claims_expired{agent=hook}', 'portdelta_scans_failed_total{scanner=scan-in}']) {
      expect(got.get(key)).toBeGreaterThan(0);
    }
  });

  test('hostile scanner and agent names stay inside their label values', async () => {
    const r = await get('/metrics', bearer(TOK_READ));
    expect(r.text).not.toMatch(/^portdelta_fake/m);
    expect(r.text).not.toMatch(/^# TYPE injected/m);
    const got = samples(r.text);
    expect(got.get(`portdelta_scans_failed_total{scanner=${HOSTILE_SCANNER}}`)).toBe(1);
    expect(got.get(`portdelta_deliveries_total{agent=${HOSTILE_AGENT},status=claimed}`)).toBe(1);
  });

  test('each server has its own registry: a second one (public metrics) answers the same numbers, none in the global registry', async () => {
    const other = await serveInProcess(url, LAB_YAML.replace('server:\n', 'server:\n  metrics_public: true\n'));
    try {
      const open = await get('/metrics', {}, other.url);
      expect(open.status).toBe(200);
      expect(open.text).toBe((await get('/metrics', bearer(TOK_READ))).text);
      expect((await get('/metrics', bearer(TOK_READ))).text).toBe(open.text);
      expect((await globalRegistry.getMetricsAsJSON()).filter((m) => m.name.startsWith('portdelta_'))).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  test('a store that stops answering makes /healthz and /metrics 503 without saying where it is; they recover with it', async () => {
    const admin = await openDb(url, { migrate: false });
    try {
      await admin.knex.schema.renameTable('scanners', 'scanners_away');
      try {
        const h = await get('/healthz');
        expect(h.status).toBe(503);
        expect(h.json).toMatchObject({ status: 'unavailable', database: 'database' });
        expect(h.json.reason).toMatch(/scanners/);
        const m = await get('/metrics', bearer(TOK_READ));
        expect(m.status).toBe(503);
        for (const text of [h.text, m.text]) {
          expect(text).not.toContain(s.db.where);
          expect(text).not.toMatch(/postgres(ql)?:\/\/|\.sqlite|127\.0\.0\.1|select /i);
        }
      } finally {
        await admin.knex.schema.renameTable('scanners_away', 'scanners');
      }
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      await admin.close();
    }
  });

  test('a server whose database connection is gone answers /healthz 503, not 500 and not a hang', async () => {
    const other = await serveInProcess(url, LAB_YAML);
    try {
      await other.db.close();
      const h = await get('/healthz', {}, other.url);
      expect(h.status).toBe(503);
      expect(h.json.status).toBe('unavailable');
      expect(h.json.reason.length).toBeGreaterThan(0);
      expect(h.text).not.toContain(other.db.where);
    } finally {
      await other.stop();
    }
  });
});
