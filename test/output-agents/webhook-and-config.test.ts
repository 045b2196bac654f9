// The webhook kind against a real HTTP server on 127.0.0.1 (500 first, then 200), the file kind's
// text format, and bad output_agents entries: exit 2 with every problem and its path.
import http from 'node:http';
import fs from 'node:fs';
import { describeChange } from '../../common/describe';
import type { AddressInfo } from 'node:net';
import { forEachDb } from '../helpers/db';
import { ids, ReportLab, type WebhookBody } from '../helpers/report';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: WebhookBody;
}

/** Answers each POST with the next status of `statuses` (the last one repeats) and records it; `echo`: the answer repeats the request's URL and headers. */
async function server(statuses: number[], echo = false): Promise<{ url: string; origin: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)];
      res.end(res.statusCode === 200 ? 'ok' : echo ? `bad request to ${req.url} with ${JSON.stringify(req.headers)}` : 'temporarily broken');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/portdelta`, origin: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => srv.close(() => r())) };
}

forEachDb('webhook and file text output agents', (db) => {
  let lab: ReportLab;
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    await lab.ingestLab(lab.config([]), [1, 2]);
  });
  afterAll(() => lab.remove());

  test('a webhook answered 500 fails (exit 2) and the next run posts the same changes again, then 200 succeeds', async () => {
    const srv = await server([500, 200]);
    try {
      const want = (await lab.changes()).filter((c) => c.types.includes('new_port'));
      const config = lab.config([{ name: 'chat', kind: 'webhook', url: srv.url, types: 'new_port', headers: { 'X-Token': 'sesame' } }]);
      const failed = await lab.report(config);
      expect(failed.code).toBe(2);
      expect(failed.stdout).toBe(`chat (webhook): FAILED: webhook agent chat: POST to ${srv.origin} answered 500 Internal Server Error: temporarily broken; ${want.length} changes will be retried on the next run\n`
        + '  remedy: the server failed: check its state and logs\n');

      const ok = await lab.report(config);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe(`chat (webhook): ${want.length} changes delivered\n`);
      expect((await lab.report(config)).stdout).toBe('chat (webhook): nothing new\n');

      expect(srv.received).toHaveLength(2);
      for (const r of srv.received) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['x-token']).toBe('sesame');
        expect(r.body.agent).toBe('chat');
        expect(ids(r.body.changes)).toEqual(ids(want));
        const lines = r.body.text.split('\n');
        expect(lines[0]).toBe(`portdelta chat: ${want.length} changes`);
        expect(lines.slice(1)).toHaveLength(want.length);
        expect(lines[1]).toContain(want[0].ip);
      }
    } finally {
      await srv.close();
    }
  });

  test('a webhook nobody answers fails and keeps its changes for the next run', async () => {
    const srv = await server([200]);
    await srv.close();
    const config = lab.config([{ name: 'gone', kind: 'webhook', url: srv.url, timeout: '2s', networks: '10.66.1.53' }]);
    const r = await lab.reportJson(config);
    expect(r.code).toBe(2);
    expect(r.results[0]).toMatchObject({ status: 'failed', delivered: 0 });
    expect(r.results[0].error).toMatch(/^webhook agent gone: POST to http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
    expect(r.results[0].error).not.toContain('/hooks');
    expect(r.results[0].retry).toBeGreaterThan(0);
  });

  test('a failing webhook names only scheme://host:port: the secret in the URL\'s path and query and the headers are not shown, even when the server repeats them', async () => {
    const srv = await server([403], true);
    const secrets = ['T0123/B0456/Zx9SeCrEtPaTh', 'qs-SeCrEt-456', 'Bearer hdr-SeCrEt-789'];
    try {
      const url = `${srv.url.replace('/hooks/portdelta', '/services/T0123/B0456/Zx9SeCrEtPaTh')}?token=qs-SeCrEt-456`;
      const config = lab.config([{ name: 'slack', kind: 'webhook', url, networks: '10.66.1.16', headers: { Authorization: secrets[2] } }]);
      const text = await lab.report(config);
      const json = await lab.reportJson(config);
      expect(srv.received).toHaveLength(2);
      expect(text.code).toBe(2);
      expect(text.stdout).toMatch(new RegExp(`^slack \\(webhook\\): FAILED: webhook agent slack: POST to ${srv.origin.replace(/\./g, '\\.')} answered 403 Forbidden: bad request to …`));
      expect(json.results[0].error).toMatch(/^webhook agent slack: POST to http:\/\/127\.0\.0\.1:\d+ answered 403/);
      for (const out of [text.stdout, text.stderr, json.results[0].error, json.stderr]) {
        for (const secret of [...secrets, 'Zx9SeCrEtPaTh', '/services/']) expect(out).not.toContain(secret);
      }
    } finally {
      await srv.close();
    }
  });

  test('file format text: the rendered report, grouped by host, every change in words', async () => {
    const out = lab.path('report.txt');
    const want = (await lab.changes()).filter((c) => c.ip === '10.66.1.16');
    const config = lab.config([{ name: 'txt', kind: 'file', path: out, format: 'text', networks: '10.66.1.16' }]);
    expect((await lab.report(config)).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toMatch(new RegExp(`^portdelta report: ${want.length} changes`));
    expect(text).toMatch(/^10\.66\.1\.16 {2}prn01\.lab-a\.test$/m);
    const items = text.split('\n').filter((l) => l.startsWith('  - '));
    expect(items.map((l) => l.slice(4)).sort()).toEqual(want.map((c) => describeChange(c)).sort());
    expect(text.match(/^ {6}scanner scan-(in|out), scan 2025-/gm)).toHaveLength(want.length);
  });
});

forEachDb('output_agents configuration', (db) => {
  test('bad agents: exit 2, every problem listed with its path, nothing delivered', async () => {
    const lab = new ReportLab(db.fresh());
    try {
      const config = lab.config([
        { name: 'a', kind: 'pager' },
        { name: 'a', kind: 'file', path: lab.path('x.jsonl'), types: ['new_port', 'new_bug'], networks: '10.0.0.0/33', ports: '1-70000' },
        { name: 'h', kind: 'hook', command: [], per: 'always', timeout: 'soon', max_changes: 0, since: 'last week' },
        { name: 'hb', kind: 'hook', per: 'batch', command: ['/bin/true', '{{ip}}'], duplicates: 'maybe', protos: ['icmp'] },
        { name: 'w', kind: 'webhook', url: 'ftp://127.0.0.1/x', colour: 'red' },
        { name: 'f', kind: 'file', format: 'xml', types: 4096, duplicate_window: 'a while' },
        'just text',
        { name: 'clear', kind: 'webhook', url: 'http://chat.example.org/hooks/x', headers: { Authorization: 'Bearer t' } },
      ]);
      const r = await lab.report(config);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const problems = r.stderr.split('\n').filter((l) => /^ {2}output_agents\./.test(l)).map((l) => l.trim());
      const expected: Array<[string, RegExp]> = [
        ['output_agents.0.kind', /unknown kind 'pager'; known kinds: .*file, hook, .*syslog, .*webhook/],
        ['output_agents.1.name', /'a' is already the name of output_agents\.0/],
        ['output_agents.1.types', /unknown change type 'new_bug'/],
        ['output_agents.1.networks', /10\.0\.0\.0\/33/],
        ['output_agents.1.ports', /outside 0-65535/],
        ['output_agents.2.command', /give the program and its arguments as a list/],
        ['output_agents.2.per', /'change' \| 'batch'/],
        ['output_agents.2.timeout', /'soon' is not a duration/],
        ['output_agents.2.max_changes', /greater than or equal to 1/],
        ['output_agents.2.since', /'last week' is neither a date \(2025-03-01, 2025-03-01T06:00Z\) nor a duration/],
        ['output_agents.3.duplicates', /'suppress' \| 'confirm'/],
        ['output_agents.3.protos.0', /'tcp' \| 'udp' \| 'sctp', received 'icmp'/],
        ['output_agents.3.command.1', /unknown placeholder \{\{ip\}\} with per: batch/],
        ['output_agents.4.url', /http:\/\/ or https:\/\//],
        ['output_agents.4', /Unrecognized key\(s\) in object: 'colour'/],
        ['output_agents.5.path', /Required/],
        ['output_agents.5.format', /'jsonl' \| 'text'/],
        ['output_agents.5.types', /4096 is not a mask/],
        ['output_agents.5.duplicate_window', /'a while' is not a duration/],
        ['output_agents.6', /a mapping with at least name and kind/],
        ['output_agents.7.headers', /^output_agents\.7\.headers: headers \(tokens\) would cross the network in clear to chat\.example\.org: use an https:\/\/ URL; http:\/\/ with headers is allowed only to this machine/],
      ];
      for (const [where, what] of expected) {
        expect(problems.filter((p) => p.startsWith(`${where}: `) && what.test(p))).toHaveLength(1);
      }
      expect(problems).toHaveLength(expected.length);
      expect(r.stderr).toContain('remedy:');
    } finally {
      lab.remove();
    }
  });

  test('headers go over https:// anywhere, over http:// only to this machine; without headers http:// is fine', async () => {
    const lab = new ReportLab(db.fresh());
    try {
      const token = { Authorization: 'Bearer t' };
      const config = lab.config([
        { name: 'tls', kind: 'webhook', url: 'https://chat.example.org/hooks/x', headers: token },
        { name: 'local', kind: 'webhook', url: 'http://localhost:9/hooks/x', headers: token },
        { name: 'local6', kind: 'webhook', url: 'http://[::1]:9/hooks/x', headers: token },
        { name: 'plain', kind: 'webhook', url: 'http://chat.example.org/hooks/x' },
      ]);
      // An empty database: the agents have nothing to send, so nothing is contacted.
      await lab.migrate();
      const r = await lab.reportJson(config);
      expect(r.stderr).toBe('');
      expect(r.results.map((x) => [x.agent, x.status])).toEqual([['tls', 'ok'], ['local', 'ok'], ['local6', 'ok'], ['plain', 'ok']]);
    } finally {
      lab.remove();
    }
  });

  test('no agents configured: report says so, delivers nothing and succeeds', async () => {
    const lab = new ReportLab(db.fresh());
    try {
      await lab.migrate();
      const r = await lab.report(lab.config([]));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no output agents configured in .*: nothing to report/);
    } finally {
      lab.remove();
    }
  });
});
