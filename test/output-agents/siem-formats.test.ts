// The file and webhook kinds' SIEM formats (ECS, OCSF, CEF) on lab-a's two nights, both databases:
// one record per change with the change's stable id (the same whatever the format or agent), the
// baselines as summary records ahead of the changes, a webhook's JSON array or CEF lines, and a
// chat style with a SIEM format refused as a configuration error.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forEachDb } from '../helpers/db';
import { ids, sharedLab } from '../helpers/report';
import { parseCef } from '../helpers/syslog';
import { batchOf, hostileChanges } from '../helpers/report-batch';
import { webhookMessages } from '../../output-agents/webhook-body';

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function receiver(): Promise<{ url: string; posts: Array<{ type: string; body: string }>; close(): Promise<void> }> {
  const posts: Array<{ type: string; body: string }> = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push({ type: String(req.headers['content-type']), body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/ingest`, posts, close: () => new Promise((r) => srv.close(() => r())) };
}

forEachDb('SIEM formats of the file and webhook kinds', (db) => {
  const shared = sharedLab(() => db.fresh(), [1, 2]);

  test('file: ECS, OCSF and CEF have one record per change, each with the change\'s id and one stable event id across the formats', async () => {
    const { lab, all } = shared;
    const agents = ['ecs', 'ocsf', 'cef'].map((format) => ({ name: `file-${format}`, kind: 'file', path: lab.path(`out.${format}`), format }));
    expect((await lab.report(lab.config(agents))).code).toBe(0);
    const ecs = lines(lab.path('out.ecs')).map((l) => JSON.parse(l));
    const ocsf = lines(lab.path('out.ocsf')).map((l) => JSON.parse(l));
    const cef = lines(lab.path('out.cef')).map(parseCef);
    const want = ids(all);
    expect(ids(ecs.map((d) => ({ id: d.portdelta.change_id })))).toEqual(want);
    expect(ids(ocsf.map((d) => ({ id: d.unmapped.portdelta.change_id })))).toEqual(want);
    expect(ids(cef.map((d) => ({ id: Number(d.ext.cn1) })))).toEqual(want);
    const eventIds = (pairs: Array<[number, string]>) => new Map(pairs);
    const byEcs = eventIds(ecs.map((d) => [d.portdelta.change_id, d.event.id]));
    const byOcsf = eventIds(ocsf.map((d) => [d.unmapped.portdelta.change_id, d.metadata.uid]));
    const byCef = eventIds(cef.map((d) => [Number(d.ext.cn1), d.ext.externalId]));
    for (const c of all) {
      expect(byEcs.get(c.id)).toMatch(UUID);
      expect([byOcsf.get(c.id), byCef.get(c.id)]).toEqual([byEcs.get(c.id), byEcs.get(c.id)]);
    }
    expect(new Set(byEcs.values()).size).toBe(all.length);
  });

  test('file ECS without include_baseline: one baseline record per scanner ahead of the later changes', async () => {
    const { lab, all } = shared;
    const out = lab.path('baseline.ecs');
    expect((await lab.report(lab.config([{ name: 'ecs-baseline', kind: 'file', path: out, format: 'ecs', include_baseline: false }]))).code).toBe(0);
    const docs = lines(out).map((l) => JSON.parse(l));
    const scanners = [...new Set(all.filter((c) => c.baseline).map((c) => c.scanner))].sort();
    const baselines = docs.filter((d) => d.event.action === 'baseline');
    expect(baselines.map((d) => d.observer.name).sort()).toEqual(scanners);
    expect(docs.slice(0, baselines.length)).toEqual(baselines);
    expect(baselines.every((d) => /^baseline of /.test(d.message) && d.destination === undefined)).toBe(true);
    expect(ids(docs.slice(baselines.length).map((d) => ({ id: d.portdelta.change_id })))).toEqual(ids(all.filter((c) => !c.baseline)));
  });

  test('webhook: ECS as one JSON array, CEF as lines of text, one POST per run', async () => {
    const { lab, all } = shared;
    const [ecsRx, cefRx] = [await receiver(), await receiver()];
    try {
      const agents = [{ name: 'hook-ecs', kind: 'webhook', url: ecsRx.url, format: 'ecs' }, { name: 'hook-cef', kind: 'webhook', url: cefRx.url, format: 'cef' }];
      expect((await lab.report(lab.config(agents))).code).toBe(0);
      expect([ecsRx.posts.length, cefRx.posts.length]).toEqual([1, 1]);
      expect(ecsRx.posts[0].type).toBe('application/json');
      const docs = JSON.parse(ecsRx.posts[0].body) as Array<{ portdelta: { change_id: number } }>;
      expect(ids(docs.map((d) => ({ id: d.portdelta.change_id })))).toEqual(ids(all));
      expect(cefRx.posts[0].type).toBe('text/plain; charset=utf-8');
      const cef = cefRx.posts[0].body.split('\n').filter(Boolean).map(parseCef);
      expect(ids(cef.map((d) => ({ id: Number(d.ext.cn1) })))).toEqual(ids(all));
    } finally {
      await ecsRx.close();
      await cefRx.close();
    }
  });

  test('a webhook with a chat style and a SIEM format: exit 2, the problem at its path, nothing sent', async () => {
    const { lab } = shared;
    const r = await lab.report(lab.config([{ name: 'both', kind: 'webhook', url: 'http://127.0.0.1:9/x', style: 'slack', format: 'cef' }]));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('output_agents.0.format: a chat style (slack) posts chat messages, format cef posts SIEM records: give one of them');
  });
});

test.each(['ecs', 'ocsf', 'cef'] as const)('webhook %s: a batch too big for a collector\'s 1 MB body goes as several POSTs, each change once and in order', (format) => {
  // 3,000 changes with 250-character names: several MB of records, as one night of a /16 can bring.
  const [proto] = hostileChanges();
  const changes = Array.from({ length: 3000 }, (_, i) => ({ ...proto, id: i + 1, ip: `10.${i >> 8}.${i & 255}.1`, hostname: `h${i}.${'x'.repeat(240)}.example` }));
  const messages = webhookMessages(batchOf(changes), { style: 'generic', format });
  expect(messages.length).toBeGreaterThan(1);
  for (const m of messages) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(1_000_000);
  expect(messages.flatMap((m) => m.ids)).toEqual(changes.map((c) => c.id));
  const recordIds = messages.flatMap((m) => (format === 'cef'
    ? m.body.split('\n').filter(Boolean).map((l) => Number(parseCef(l).ext.cn1))
    : (JSON.parse(m.body) as Array<{ portdelta?: { change_id: number }; unmapped?: { portdelta: { change_id: number } } }>).map((d) => (d.portdelta ?? d.unmapped!.portdelta).change_id)));
  expect(recordIds).toEqual(messages.flatMap((m) => m.ids));
});
