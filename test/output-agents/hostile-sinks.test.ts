// Hostile PTR names (test/fixtures/hostile: ESC, BEL, CR/LF, DEL, C1, bidi overrides and isolates,
// Slack markup, HTML, shell syntax) through every sink at once: a real SMTP server and a real HTTP
// server on loopback receive the mail and the webhook, a file agent writes the text report and JSON
// Lines, a hook gets the batch on stdin, and the CLI prints tables. No raw control or bidi character
// and no unescaped `<!channel>` reaches a human-facing sink; the JSON sinks keep the exact names.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { cliJson, FIXTURES, spawnCli } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { jsonl, ReportLab, type WebhookBody } from '../helpers/report';
import { startSmtp } from '../helpers/smtp';
import type { ChangeRow } from '../../common/types';
import type { ReportChange } from '../../output-agents/types';

const NIGHTS = [1, 2].map((n) => path.join(FIXTURES, 'hostile', `night${n}.xml`));
// Anything but a line feed: C0 (CR and tab too), DEL, C1, the bidi controls, the line separators.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function rawChars(s: string): string[] {
  return [...s].filter((c) => RAW.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16)}`);
}

async function webhookServer(): Promise<{ url: string; bodies: WebhookBody[]; close(): Promise<void> }> {
  const bodies: WebhookBody[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/portdelta`, bodies, close: () => new Promise((r) => srv.close(() => r())) };
}

const names = (rows: Array<Pick<ChangeRow, 'id' | 'hostname' | 'previous_hostname'>>) =>
  [...rows].sort((a, b) => a.id - b.id).map((c) => [c.id, c.hostname, c.previous_hostname]);

forEachDb('hostile names in every sink', (db) => {
  test('mail, webhook, text file and CLI tables show them escaped; jsonl, webhook changes, hook stdin and --json keep them exact', async () => {
    const lab = new ReportLab(db.fresh());
    const smtp = await startSmtp();
    const hook = await webhookServer();
    try {
      const text = lab.path('report.txt');
      const lines = lab.path('changes.jsonl');
      const config = lab.config(
        [
          { name: 'mail', kind: 'email', to: 'soc@example.org', subject: 'names: {{#each hosts}}{{hostnames}} {{/each}}' },
          { name: 'chat', kind: 'webhook', url: hook.url },
          { name: 'txt', kind: 'file', path: text, format: 'text' },
          { name: 'siem', kind: 'file', path: lines },
          { name: 'enrich', kind: 'hook', per: 'batch', command: lab.hookCommand('ok') },
        ],
        { hx: {} },
        { smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } },
      );
      for (const f of NIGHTS) await cliJson(['--db', lab.db, '--config', config, 'ingest', '--scanner', 'hx', f]);
      const changes = await lab.changes();
      expect(changes.filter((c) => c.previous_hostname !== null)).toHaveLength(8);
      expect(changes.map((c) => c.hostname)).toContain('<!channel> wake up');
      expect(changes.map((c) => c.hostname)).toContain('evil\x1b[31mred\x1b[0m.example');

      const r = await lab.report(config);
      expect({ code: r.code, stderr: rawChars(r.stderr), stdout: rawChars(r.stdout) }).toEqual({ code: 0, stderr: [], stdout: [] });

      // Human-facing: escaped.
      const [m] = smtp.messages;
      const mailText = m.mail.text!.replace(/\r\n/g, '\n');
      const chat: string = hook.bodies[0].text;
      const file = fs.readFileSync(text, 'utf8');
      const tables = await Promise.all(['changes', 'hosts', 'state'].map((c) => spawnCli(['--db', lab.db, c])));
      const human = { subject: m.mail.subject!, mailText, html: m.mail.html as string, chat, file, ...Object.fromEntries(tables.map((t, i) => [i, t.stdout])) };
      for (const [where, s] of Object.entries(human)) expect({ where, raw: rawChars(s) }).toEqual({ where, raw: [] });
      for (const s of [mailText, chat, file, tables[0].stdout]) {
        expect(s).toContain('evil\\x1b[31mred\\x1b[0m.example');
        expect(s).toContain('a\\u{202e}gnp.exe.example');
        expect(s).toContain('line1\\x0d\\x0aline2.example');
      }
      // `hosts` and `state` show today's names (night 2's).
      for (const s of [tables[1].stdout, tables[2].stdout]) expect(s).toContain('\\u{2066}isolate\\u{2069}.example');
      expect(tables[1].stdout).toContain('\\x0a#complete=false');
      expect(chat).not.toMatch(/[<>]/);
      expect(chat).toContain('&lt;!channel&gt; wake up');
      expect(chat).toContain('&lt;https://evil.example|click here&gt;');
      expect(chat).toContain('&amp;amp; &lt;b&gt;bold&lt;/b&gt;');
      expect(chat.split('\n')).toHaveLength(changes.length + 1);
      expect(m.mail.html as string).not.toContain('<b>bold');

      // Machine-facing: exact.
      expect(names(hook.bodies[0].changes)).toEqual(names(changes));
      expect(names(jsonl(lines))).toEqual(names(changes));
      const calls = lab.hookCalls<ReportChange[]>();
      expect(calls).toHaveLength(1);
      expect(names(calls[0].stdin)).toEqual(names(changes));
    } finally {
      await hook.close();
      await smtp.close();
      lab.remove();
    }
  });
});
