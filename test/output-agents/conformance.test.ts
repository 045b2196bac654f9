// Every kind in output-agents/registry.ts runs the output-agent conformance suite
// (test/helpers/describe-output-agent.ts) against a real peer of its own; a kind added to the
// registry without a harness here fails.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ChangeRow } from '../../common/types';
import { kindNames } from '../../output-agents/registry';
import { describeOutputAgent, type OutputAgentHarness } from '../helpers/describe-output-agent';
import { smtpReply, startSmtp } from '../helpers/smtp';
import { netbox, phpipam } from '../helpers/inventory-harnesses';
import { syslogHarness } from '../helpers/syslog-harness';

// Anything but a line feed: C0 (CR and tab too), DEL, C1, the bidi controls, the line separators.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const rawChars = (s: string) => [...s].filter((c) => RAW.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16)}`);
/** For human-facing text: no raw control or bidi character, and an escape sequence shown as text. */
function expectEscaped(where: string, text: string): void {
  expect({ where, raw: rawChars(text) }).toEqual({ where, raw: [] });
  expect(text).toContain('evil\\x1b[31mred\\x1b[0m.example');
}

type Names = Pick<ChangeRow, 'id' | 'hostname' | 'previous_hostname'>;
const names = (rows: Names[]) => [...rows].sort((a, b) => a.id - b.id).map((c) => [c.id, c.hostname, c.previous_hostname]);
const SOC = 'soc@example.org';

const email: OutputAgentHarness = {
  async peer(dir) {
    let failing = false;
    const smtp = await startSmtp({ onRcptTo: (_addr, _session, cb) => cb(failing ? smtpReply(451, 'mailbox busy, try later') : undefined) });
    // A text part that lists each change's id and names (to count what arrived); the HTML part is the default one.
    const text = path.join(dir, 'ids.txt.hbs');
    fs.writeFileSync(text, '{{#each hosts}}{{#each changes}}change {{id}} {{hostname}} {{previous_hostname}}\n{{/each}}{{/each}}');
    return {
      options: { to: SOC, text_template: text, subject: 'names: {{#each hosts}}{{hostnames}} {{/each}}' },
      config: { smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } },
      fail: () => void (failing = true),
      recover: () => void (failing = false),
      delivered: () => smtp.messages.flatMap((m) => [...(m.mail.text ?? '').matchAll(/^change (\d+) /gm)].map((x) => Number(x[1]))),
      expectHostile() {
        const m = smtp.messages.at(-1)!;
        expect(m.rcpt).toEqual([SOC]);
        const head = m.raw.slice(0, m.raw.indexOf('\r\n\r\n'));
        expect(head).not.toMatch(/^(bcc|subject: fake)/im);
        expect([...m.mail.headers.keys()]).not.toContain('bcc');
        expectEscaped('subject', m.mail.subject!);
        expectEscaped('text', m.mail.text!.replace(/\r\n/g, '\n'));
        expect({ where: 'html', raw: rawChars(m.mail.html as string) }).toEqual({ where: 'html', raw: [] });
        expect(m.mail.html).not.toMatch(/<img|<b>bold|<script/);
        expect(m.mail.html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
        expect(m.mail.text).toMatch(/^change \d+ x\\x0d\\x0aBcc: evil@example\.org $/m);
      },
      close: () => smtp.close(),
    };
  },
  remedy: /check the smtp section/,
  valid: { to: ['soc@example.org', 'Net Ops <netops@example.org>'], subject: 'portdelta: {{headline}}' },
  invalid: {
    raw: { to: 'not an address', cc: 5, colour: 'red' },
    errors: [
      "to.0: 'not an address' is not a mail address (write local@domain or Name <local@domain>)",
      'cc: the copy recipients: an address or a list of addresses',
      "(options): Unrecognized key(s) in object: 'colour'",
    ],
  },
};

const webhook: OutputAgentHarness = {
  async peer() {
    let failing = false;
    const bodies: Array<{ text: string; changes: Names[] }> = [];
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (!failing) bodies.push(JSON.parse(body));
        res.statusCode = failing ? 503 : 200;
        res.end(failing ? 'down for maintenance' : 'ok');
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as AddressInfo;
    return {
      options: { url: `http://127.0.0.1:${port}/hooks/portdelta` },
      fail: () => void (failing = true),
      recover: () => void (failing = false),
      delivered: () => bodies.flatMap((b) => b.changes.map((c) => c.id)),
      expectHostile(changes) {
        const { text, changes: sent } = bodies.at(-1)!;
        expectEscaped('text', text);
        expect(text).not.toMatch(/[<>]/);
        expect(text).toContain('&lt;!channel&gt; wake up');
        expect(text.split('\n')).toHaveLength(changes.length + 1);
        expect(names(sent)).toEqual(names(changes));
      },
      close: () => new Promise((r) => srv.close(() => r())),
    };
  },
  remedy: /the server failed/,
  valid: { url: 'https://hooks.example.org/services/T0/B0/x', timeout: '5s', headers: { Authorization: 'Bearer x' } },
  invalid: {
    raw: { url: 'ftp://example.org/', timeout: 'soon', headers: { 'X-Token': 'x\r\nBcc: y', 'Bad Name': 'x' } },
    errors: [
      'url: give an http:// or https:// URL',
      "timeout: 'soon' is not a duration: a number with a unit: ms, s, m, h, d or w (e.g. 30s, 5m, 36h, 7d)",
      'headers.X-Token: a header value must not contain line breaks',
      'headers: header names use letters, digits and - only',
    ],
  },
};

const file: OutputAgentHarness = {
  async peer(dir) {
    // The folder is there until fail() takes it away; recover() makes it again.
    const folder = path.join(dir, 'out');
    const out = path.join(folder, 'changes.jsonl');
    fs.mkdirSync(folder);
    const records = (): Names[] => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    return {
      options: { path: out },
      fail: () => fs.rmSync(folder, { recursive: true }),
      recover: () => fs.mkdirSync(folder),
      delivered: () => records().map((c) => c.id),
      expectHostile(changes) {
        // JSON Lines keep the names exactly, each record on its own line.
        expect(fs.readFileSync(out, 'utf8').split('\n')).toHaveLength(changes.length + 1);
        expect(names(records())).toEqual(names(changes));
      },
      close: async () => undefined,
    };
  },
  remedy: /create the folder .*out/,
  valid: { path: 'changes.jsonl', format: 'text' },
  invalid: {
    raw: { path: '', format: 'xml', mode: 644 },
    errors: ['path: String must contain at least 1 character(s)', "format: Invalid enum value. Expected 'jsonl' | 'text' | 'ecs' | 'ocsf' | 'cef', received 'xml'", "Unrecognized key(s) in object: 'mode'"],
  },
};

/** The hook: records each call (argv, the PORTDELTA_* environment, stdin) as a file, or fails while `failing` exists. */
const HOOK = `
const fs = require('fs'), path = require('path');
const [logDir, ...args] = process.argv.slice(2);
const stdin = JSON.parse(fs.readFileSync(0, 'utf8'));
if (fs.existsSync(path.join(logDir, 'failing'))) { process.stderr.write('refused on purpose\\n'); process.exit(3); }
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PORTDELTA_')));
fs.writeFileSync(path.join(logDir, process.pid + '-' + Date.now() + '.call.json'), JSON.stringify({ args, stdin, env }));
`;

interface HookCall {
  args: string[];
  stdin: Names | Names[];
  env: Record<string, string>;
}

const hook: OutputAgentHarness = {
  async peer(dir) {
    // A real executable (its own #! line), run without a shell.
    const script = path.join(dir, 'hook.js');
    fs.writeFileSync(script, `#!${process.execPath}\n${HOOK}`, { mode: 0o755 });
    const log = fs.mkdtempSync(path.join(dir, 'calls-'));
    const calls = (): HookCall[] => fs.readdirSync(log).filter((f) => f.endsWith('.call.json')).map((f) => JSON.parse(fs.readFileSync(path.join(log, f), 'utf8')));
    const noNul = (s: string | null) => (s ?? '').replace(/\0/g, '');
    return {
      // One call per run; the hostile case runs it per change, the names as arguments.
      options: { command: [script, log], per: 'batch' },
      hostileOptions: { command: [script, log, '{{hostname}}', '{{previous_hostname}}'], per: 'change' },
      fail: () => fs.writeFileSync(path.join(log, 'failing'), ''),
      recover: () => fs.rmSync(path.join(log, 'failing')),
      delivered: () => calls().flatMap((c) => (Array.isArray(c.stdin) ? c.stdin : [c.stdin]).map((x) => x.id)),
      expectHostile(changes) {
        const perChange = calls().filter((c) => !Array.isArray(c.stdin)) as Array<HookCall & { stdin: Names }>;
        expect(names(perChange.map((c) => c.stdin))).toEqual(names(changes));
        // Each name is one whole argument and one variable, exactly (a NUL cannot pass through argv).
        for (const { stdin: c, args, env } of perChange) {
          expect(args).toEqual([noNul(c.hostname), noNul(c.previous_hostname)]);
          expect([env.PORTDELTA_HOSTNAME, env.PORTDELTA_PREVIOUS_HOSTNAME]).toEqual(args);
        }
      },
      close: async () => undefined,
    };
  },
  remedy: /must exit 0/,
  valid: { command: ['/usr/local/bin/enrich', '{{ip}}', '{{hostname}}'], per: 'change', timeout: '10s', env: 'TOKEN' },
  invalid: {
    raw: { command: [], per: 'host', env: ['1BAD'] },
    errors: [
      'command: give the program and its arguments as a list, e.g. [/usr/local/bin/enrich, "{{ip}}"]',
      "per: Invalid enum value. Expected 'change' | 'batch', received 'host'",
      'env.0: an environment variable name: letters, digits and _',
    ],
  },
};

const HARNESSES: Record<string, OutputAgentHarness> = { email, file, hook, webhook, phpipam, netbox, syslog: syslogHarness };

test('the registry lists kinds, and every harness here is for one of them', () => {
  expect(kindNames().length).toBeGreaterThan(0);
  expect(Object.keys(HARNESSES).filter((k) => !kindNames().includes(k))).toEqual([]);
});

for (const kind of kindNames()) describeOutputAgent(kind, HARNESSES[kind]);
