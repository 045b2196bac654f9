// The webhook kind's chat styles against a real HTTP server on 127.0.0.1, on both databases: each
// platform's message shape (Slack blocks, a Teams Adaptive Card in its envelope, Mattermost
// attachments) within its limits; hostile names escaped the platform's way (control characters,
// `<!channel>`, mrkdwn and Markdown markup, Adaptive Card functions, mentions); one digest per run,
// sent again whole after the server refused it; a long digest split, and a split digest whose
// second post fails delivering each change once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { safeText } from '../../common/safe-text';
import type { ChangeRow } from '../../common/types';
import { cliJson, FIXTURES } from '../helpers/cli';
import { csvText } from '../helpers/csv-scan';
import { forEachDb } from '../helpers/db';
import { ReportLab } from '../helpers/report';

interface Post {
  path: string;
  contentType: string | undefined;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Records each POST; answers 503 to the posts whose (1-based) numbers are in `failing`. */
async function receiver(failing: number[] = []): Promise<{ url: string; posts: Post[]; close(): Promise<void> }> {
  const posts: Post[] = [];
  let n = 0;
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const refuse = failing.includes(++n);
      if (!refuse) posts.push({ path: req.url!, contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.statusCode = refuse ? 503 : 200;
      res.end(refuse ? 'busy' : 'ok');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/T0/B0/secret`, posts, close: () => new Promise((r) => srv.close(() => r())) };
}

// Anything but a line feed: C0, DEL, C1, the bidi controls, the line separators.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const MARKUP = '*bold* _it_ ~st~ `tick` [x](https://evil.example) {{DATE(2017-02-14T06:08:39Z, SHORT)}} # h @all';
const SCANNERS = { hx: {}, 'hx-markup': {} };
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
const refs = (text: string) => [...text.matchAll(/\(change (\d+)\)$/gm)].map((m) => Number(m[1]));

/** Slack: the text of each section; every change line is one inline code span with no backtick inside and no raw < > or control. */
function slackLines(body: Post['body']): { lines: string[]; ids: number[] } {
  expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
  expect(body.blocks.length).toBeLessThanOrEqual(50);
  for (const b of body.blocks) {
    expect(b).toEqual({ type: 'section', text: { type: 'mrkdwn', text: expect.any(String), verbatim: true } });
    expect(b.text.text.length).toBeLessThanOrEqual(3000);
  }
  const lines = body.blocks.slice(1).flatMap((b: { text: { text: string } }) => b.text.text.split('\n'));
  for (const l of lines) expect(l).toMatch(/^• `[^`]+` \(change \d+\)$/);
  return { lines, ids: lines.flatMap(refs) };
}

/** Teams: the card's TextBlocks; in each change line every character that could start Markdown is backslash-escaped. */
function teamsLines(body: Post['body']): { lines: string[]; ids: number[] } {
  expect(body).toEqual({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: expect.any(Object) }] });
  const card = body.attachments[0].content;
  expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
  expect(JSON.stringify(body).length).toBeLessThan(28_000);
  for (const b of card.body) expect(b).toMatchObject({ type: 'TextBlock', wrap: true });
  const lines = card.body.slice(1).flatMap((b: { text: string }) => b.text.split('\n'));
  for (const l of lines) {
    const m = /^- (.*) \(change \d+\)$/.exec(l)!;
    expect(m[1].replace(/\\./g, '')).not.toMatch(/[\\`*_{}[\]()#!|<>~&]/);
  }
  return { lines, ids: lines.flatMap(refs) };
}

/** Mattermost: attachments' text; each change line is one CommonMark code span whose fence is longer than any backtick run inside. */
function mattermostLines(body: Post['body']): { lines: string[]; ids: number[] } {
  expect(Object.keys(body).sort()).toEqual(['attachments', 'text']);
  expect(body.text).toMatch(/^#### portdelta `[^`]+`: \d+ changes?( \(part \d+ of \d+\))?$/);
  const lines: string[] = [];
  for (const a of body.attachments) {
    expect(Object.keys(a).sort()).toEqual(['color', 'fallback', 'text']);
    lines.push(...a.text.split('\n'));
  }
  expect(body.text.length + lines.join('\n').length).toBeLessThan(16_383);
  for (const l of lines) {
    const m = /^- (`+)(.*?)\1 \(change \d+\)$/.exec(l)!;
    expect(m).not.toBeNull();
    for (const run of m[2].match(/`+/g) ?? []) expect(run.length).toBeLessThan(m[1].length);
  }
  return { lines, ids: lines.flatMap(refs) };
}

/** A change line as the platform shows it: the code span's content, the escapes undone. */
const SHOWN = {
  slack: (l: string) => /^• `(.*)` \(change \d+\)$/.exec(l)![1].replace(/&lt;|&gt;|&amp;/g, (e) => ({ '&lt;': '<', '&gt;': '>', '&amp;': '&' })[e]!),
  teams: (l: string) => l.replace(/\\(.)/g, '$1'),
  mattermost: (l: string) => {
    const [, , inner] = /^- (`+)(.*?)\1 \(change \d+\)$/.exec(l)!;
    return /^ .* $/.test(inner) ? inner.slice(1, -1) : inner;
  },
};

const STYLES = { slack: slackLines, teams: teamsLines, mattermost: mattermostLines };

forEachDb('webhook chat styles', (db) => {
  let lab: ReportLab;
  let all: ChangeRow[];
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    const config = lab.config([], SCANNERS);
    await cliJson(['--db', lab.db, '--config', config, 'ingest', '--scanner', 'hx', ...['night1.csv', 'night2.csv'].map((f) => `${FIXTURES}/hostile/${f}`)]);
    const markup = lab.scratch.write('markup.csv', csvText({ started: '2026-11-23T09:00:00Z', scope: '127.0.22.1', ports: 'tcp:80', rows: [`127.0.22.1,tcp,80,open,"${MARKUP}",`] }));
    await cliJson(['--db', lab.db, '--config', config, 'ingest', '--scanner', 'hx-markup', markup]);
    all = await lab.changes();
  });
  afterAll(() => lab.remove());

  test.each(Object.keys(STYLES) as Array<keyof typeof STYLES>)('style %s: refused first, then one message in the platform\'s shape, each change once, hostile names escaped its way', async (style) => {
    const rx = await receiver([1]);
    try {
      const config = lab.config([{ name: `chat-${style}`, kind: 'webhook', url: rx.url, style }], SCANNERS);
      const refused = await lab.reportJson(config);
      expect(refused.results[0]).toMatchObject({ status: 'failed', delivered: 0, retry: all.length, remedy: 'the server failed: check its state and logs' });
      expect(rx.posts).toEqual([]);
      expect((await lab.report(config)).stdout).toBe(`chat-${style} (webhook): ${all.length} changes delivered\n`);
      expect((await lab.report(config)).stdout).toBe(`chat-${style} (webhook): nothing new\n`);
      expect(rx.posts).toHaveLength(1);
      expect(rx.posts[0].contentType).toBe('application/json');
      const { lines, ids } = STYLES[style](rx.posts[0].body);
      expect(sorted(ids)).toEqual(sorted(all.map((c) => c.id)));
      const text = JSON.stringify(rx.posts[0].body);
      expect([...lines.join('\n')].filter((c) => RAW.test(c))).toEqual([]);
      // Read back as the platform shows it, each line holds its change's name with control characters as \xNN.
      const shown = new Map(lines.map((l) => [refs(l)[0], SHOWN[style](l)]));
      for (const c of all.filter((x) => x.hostname)) {
        const name = safeText(c.hostname).replace(/`/g, style === 'slack' ? '\u02cb' : '`');
        expect({ id: c.id, shows: shown.get(c.id)!.includes(name) }).toEqual({ id: c.id, shows: true });
      }
      if (style === 'slack') {
        expect(text).not.toMatch(/<!channel>|<https?:/);
        expect(text).toContain('&lt;!channel&gt; wake up');
      }
    } finally {
      await rx.close();
    }
  });

  test('a digest too long for one Mattermost post is split; when the second post fails, the first one\'s changes stay delivered and the rest go out once on the next run', async () => {
    const longName = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example`;
    const rows = Array.from({ length: 120 }, (_, i) => `127.0.23.1,tcp,${1000 + i},open,${longName},`);
    const scan = lab.scratch.write('long.csv', csvText({ started: '2026-11-24T09:00:00Z', scope: '127.0.23.1', ports: 'tcp:1000-1119', rows }));
    await cliJson(['--db', lab.db, '--config', lab.config([], { long: {} }), 'ingest', '--scanner', 'long', scan]);
    const want = (await lab.changes()).filter((c) => c.scanner === 'long');
    const rx = await receiver([2]);
    try {
      const config = lab.config([{ name: 'split', kind: 'webhook', url: rx.url, style: 'mattermost', scanners: ['long'] }], { long: {} });
      const first = await lab.reportJson(config);
      expect(first.results[0]).toMatchObject({ status: 'failed' });
      expect(rx.posts).toHaveLength(1);
      const sent = mattermostLines(rx.posts[0].body).ids;
      expect(sent.length).toBeGreaterThan(0);
      expect(first.results[0]).toMatchObject({ delivered: sent.length, retry: want.length - sent.length });
      expect(rx.posts[0].body.text).toMatch(/ \(part 1 of \d+\)$/);

      const second = await lab.reportJson(config);
      expect(second.results[0]).toMatchObject({ status: 'ok', delivered: want.length - sent.length });
      expect(rx.posts.length).toBeGreaterThan(2);
      const ids = rx.posts.flatMap((p) => mattermostLines(p.body).ids);
      expect(sorted(ids)).toEqual(sorted(want.map((c) => c.id)));
    } finally {
      await rx.close();
    }
  });
});
