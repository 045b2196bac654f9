// The hook kind through the spawned CLI: a real command (node running a script, no shell) gets
// exactly its changes on stdin, in PORTDELTA_* variables and in argv placeholders; a failing or
// hanging hook leaves its changes for the next run; hostile hostnames reach it as plain text.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { ids, ReportLab } from '../helpers/report';
import type { ChangeRow } from '../../common/types';
import type { ReportChange } from '../../output-agents/types';

forEachDb('hook output agent', (db) => {
  let lab: ReportLab;
  let all: ChangeRow[];
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    await lab.ingestLab(lab.config([]), [1, 2]);
    all = await lab.changes();
  });
  afterAll(() => lab.remove());
  beforeEach(() => {
    for (const f of fs.readdirSync(lab.hookLog)) fs.rmSync(path.join(lab.hookLog, f));
  });

  test('per change: each matching change once, as JSON on stdin, as PORTDELTA_* and in argv', async () => {
    const want = all.filter((c) => c.types.includes('new_host') && c.scanner === 'scan-in');
    const config = lab.config([{
      name: 'enrich', kind: 'hook', types: ['new_host'], scanners: ['scan-in'],
      command: lab.hookCommand('ok', '{{ip}}', 'port={{port}}', '{{types}}', '{{hostname}}', '{{agent}}'),
    }]);
    const r = await lab.report(config);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`enrich (hook): ${want.length} changes delivered\n`);
    const calls = lab.hookCalls().sort((a, b) => a.stdin.id - b.stdin.id);
    expect(calls.map((c) => c.stdin.id)).toEqual(ids(want));
    for (const [i, call] of calls.entries()) {
      const c = want[i];
      expect(call.stdin).toMatchObject({ ...c, confirms: null });
      expect(call.args).toEqual([c.ip, `port=${c.port ?? ''}`, c.types.join(','), c.hostname ?? '', 'enrich']);
      expect(call.env).toMatchObject({
        PORTDELTA_ID: String(c.id), PORTDELTA_IP: c.ip, PORTDELTA_PROTO: c.proto ?? '', PORTDELTA_PORT: c.port === null ? '' : String(c.port),
        PORTDELTA_TYPE: String(c.type), PORTDELTA_TYPES: c.types.join(','), PORTDELTA_HOSTNAME: c.hostname ?? '',
        PORTDELTA_PREVIOUS_HOSTNAME: c.previous_hostname ?? '', PORTDELTA_SCANNER: c.scanner, PORTDELTA_DETECTED_AT: c.detected_at, PORTDELTA_AGENT: 'enrich',
      });
    }
  });

  test('per batch: one call with every change as a JSON array, {{count}} and PORTDELTA_COUNT', async () => {
    const want = all.filter((c) => c.proto === 'udp');
    const config = lab.config([{ name: 'batch', kind: 'hook', protos: 'udp', per: 'batch', command: lab.hookCommand('ok', '{{count}}', '{{agent}}') }]);
    expect((await lab.report(config)).code).toBe(0);
    const calls = lab.hookCalls<ReportChange[]>();
    expect(calls).toHaveLength(1);
    expect(ids(calls[0].stdin)).toEqual(ids(want));
    expect(calls[0].args).toEqual([String(want.length), 'batch']);
    expect(calls[0].env).toMatchObject({ PORTDELTA_COUNT: String(want.length), PORTDELTA_AGENT: 'batch' });
  });

  test.each([
    ['exits 3', 'fail', '30s', /exited with code 3; stderr: broken on purpose/, /^ {2}remedy: the hook must exit 0 when it has taken the change/],
    ['runs past its timeout', 'sleep', '1s', /did not finish within 1s and was killed/, /^ {2}remedy: make the hook finish sooner .* or raise the agent's timeout$/],
  ])('a hook that %s: nothing is marked delivered, exit 2 with a remedy; the next run (hook fixed) delivers everything', async (_t, mode, timeout, why, remedy) => {
    const want = all.filter((c) => c.ip === '10.66.1.13');
    const config = (hookTimeout: string) => lab.config([
      { name: `broken-${mode}`, kind: 'hook', networks: '10.66.1.13', per: 'batch', timeout: hookTimeout, command: lab.hookCommand(mode) },
      { name: `fine-${mode}`, kind: 'file', networks: '10.66.1.13', path: lab.path(`fine-${mode}.jsonl`) },
    ]);
    const failed = await lab.report(config(timeout));
    expect(failed.code).toBe(2);
    const [line, remedyLine, other] = failed.stdout.trimEnd().split('\n');
    expect(line).toMatch(why);
    expect(remedyLine).toMatch(remedy);
    expect(line).toMatch(new RegExp(`^broken-${mode} \\(hook\\): FAILED: .*; ${want.length} changes will be retried on the next run$`));
    expect(other).toBe(`fine-${mode} (file): ${want.length} changes delivered`);
    expect(lab.hookCalls()).toEqual([]);

    lab.fixHook();
    // The fixed hook gets a long timeout: starting node alone can take over a second on a busy machine.
    const again = await lab.report(config('60s'));
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`broken-${mode} (hook): ${want.length} changes delivered\nfine-${mode} (file): nothing new\n`);
    expect(lab.hookCalls<ReportChange[]>().map((c) => ids(c.stdin))).toEqual([ids(want)]);
  });

  test('a hook that exits 0 but leaves a background process holding its stderr is delivered, not timed out and sent again', async () => {
    const want = all.filter((c) => c.ip === '10.66.1.12');
    expect(want.length).toBeGreaterThan(0);
    const config = lab.config([{ name: 'bg', kind: 'hook', networks: '10.66.1.12', per: 'batch', timeout: '20s', command: lab.hookCommand('background') }]);
    try {
      const first = await lab.reportJson(config);
      expect(first.results).toEqual([expect.objectContaining({ status: 'ok', delivered: want.length, retry: 0 })]);
      expect(first.code).toBe(0);
      expect((await lab.report(config)).stdout).toBe('bg (hook): nothing new\n');
      expect(lab.hookCalls<ReportChange[]>().map((c) => ids(c.stdin))).toEqual([ids(want)]);
    } finally {
      const pidFile = path.join(lab.hookLog, 'background.pid');
      if (fs.existsSync(pidFile)) process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    }
  });

  test('the hook gets PATH, HOME, LANG, LC_ALL, TZ, TMPDIR and its PORTDELTA_* values, not portdelta\'s secrets unless its env lists them', async () => {
    const given = { PORTDELTA_DB: lab.db, SMTP_PASSWORD: 'smtp-secret', CHAT_TOKEN: 'chat-secret', LANG: 'C.UTF-8', TZ: 'UTC' };
    const config = lab.config([
      { name: 'bare', kind: 'hook', networks: '10.66.1.16', per: 'batch', command: lab.hookCommand('ok') },
      { name: 'asks', kind: 'hook', networks: '10.66.1.16', per: 'batch', env: ['CHAT_TOKEN', 'NOT_SET_ANYWHERE'], command: lab.hookCommand('ok') },
    ]);
    expect((await lab.report(config, [], { env: given })).code).toBe(0);
    const byAgent = new Map(lab.hookCalls().map((c) => [c.env.PORTDELTA_AGENT, c.env]));
    const base = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'].filter((n) => (given[n as keyof typeof given] ?? process.env[n]) !== undefined);
    expect(Object.keys(byAgent.get('bare')!).sort()).toEqual([...base, 'PORTDELTA_AGENT', 'PORTDELTA_COUNT'].sort());
    expect(Object.keys(byAgent.get('asks')!).sort()).toEqual([...base, 'CHAT_TOKEN', 'PORTDELTA_AGENT', 'PORTDELTA_COUNT'].sort());
    expect(byAgent.get('asks')).toMatchObject({ CHAT_TOKEN: 'chat-secret', LANG: 'C.UTF-8', TZ: 'UTC', PATH: process.env.PATH });
  });

  test('a placeholder in the program, or a bad name in env, is a configuration error (exit 2) and runs nothing', async () => {
    const config = lab.config([
      { name: 'p1', kind: 'hook', command: ['{{hostname}}', '--x'] },
      { name: 'p2', kind: 'hook', per: 'batch', command: ['/usr/local/bin/{{agent}}'] },
      { name: 'p3', kind: 'hook', command: [process.execPath], env: ['OK_NAME', 'BAD-NAME'] },
    ]);
    const r = await lab.report(config);
    expect(r.code).toBe(2);
    const problems = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('output_agents.'));
    expect(problems).toEqual([
      'output_agents.0.command.0: the program cannot contain a placeholder (a name from the network would choose what runs); put {{…}} in the arguments',
      'output_agents.1.command.0: the program cannot contain a placeholder (a name from the network would choose what runs); put {{…}} in the arguments',
      'output_agents.2.env.1: an environment variable name: letters, digits and _',
    ]);
    expect(lab.hookCalls()).toEqual([]);
  });

  test('per change, failing at the third change: the first two stay delivered and are not sent again', async () => {
    const want = all.filter((c) => c.ip === '10.66.1.14');
    expect(want.length).toBeGreaterThan(3);
    const config = lab.config([{ name: 'third', kind: 'hook', networks: '10.66.1.14', command: lab.hookCommand('third', '{{id}}') }]);
    const first = await lab.reportJson(config);
    expect(first.code).toBe(2);
    expect(first.results[0]).toMatchObject({ status: 'failed', delivered: 2, retry: want.length - 2 });
    expect(first.results[0].error).toBe(`change ${want[2].id}: ${process.execPath} exited with code 3`);
    expect(lab.hookCalls().map((c) => c.stdin.id).sort((a, b) => a - b)).toEqual(ids(want.slice(0, 2)));

    expect((await lab.report(config)).code).toBe(0);
    expect(lab.hookCalls().map((c) => c.stdin.id).sort((a, b) => a - b)).toEqual(ids(want));
  });
});

forEachDb('hook output agent: hostile hostnames', (db) => {
  const HOSTILE = ['$(touch pwned)', 'a;touch pwned2', '`touch pwned3`', '<script>alert(1)</script>', "x' && touch pwned4 #", 'tab\there|touch pwned5'];

  test('names with $(…), ;, backticks and <script> reach the hook as exact text and run nothing', async () => {
    const lab = new ReportLab(db.fresh());
    const cwd = fs.mkdtempSync(path.join(lab.scratch.dir, 'cwd-'));
    try {
      const rows = HOSTILE.flatMap((name, i) => [`10.9.0.${i + 1},,,up,"${name.replace(/"/g, '""')}",`]);
      const config = lab.config([{ name: 'h', kind: 'hook', types: 'new_host', command: lab.hookCommand('ok', '{{hostname}}', '--name={{hostname}}') }], { t: {} });
      await lab.ingest(config, lab.scratch.series([rows], { scanner: 't' })[0]);
      expect((await lab.changes()).map((c) => c.hostname)).toEqual(HOSTILE);

      const r = await lab.report(config, [], { cwd });
      expect(r.code).toBe(0);
      const calls = lab.hookCalls().sort((a, b) => a.stdin.id - b.stdin.id);
      expect(calls.map((c) => c.args)).toEqual(HOSTILE.map((n) => [n, `--name=${n}`]));
      expect(calls.map((c) => c.env.PORTDELTA_HOSTNAME)).toEqual(HOSTILE);
      expect(calls.map((c) => c.stdin.hostname)).toEqual(HOSTILE);
      expect(fs.readdirSync(cwd)).toEqual([]);
      expect(fs.readdirSync(lab.hookLog).filter((f) => f.startsWith('pwned'))).toEqual([]);
    } finally {
      lab.remove();
    }
  });
});
