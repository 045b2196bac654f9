// Secrets only where they are used (issue 12.2): a ${VAR} is resolved, and its absence is an error,
// only for the commands that read its key; the rest of the file is still checked as a whole.
// And a mistyped key gets the nearest known one (12.7).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { ConfigError } from '../../common/errors';
import { cli } from '../helpers/cli';

// As docs/server.md and docs/configuration.md show it: the tokens and the mail password from the environment.
const CONFIG = [
  'smtp: { host: 127.0.0.1, user: mailer, password: "${PD_T_SMTP_PASSWORD}" }',
  'server:',
  '  listen: 127.0.0.1:5000',
  '  tokens: { "${PD_T_SCAN_IN_TOKEN}": scan-in }',
  '  read_tokens: ["${PD_T_SOC_READ_TOKEN}"]',
].join('\n') + '\n';
const UNSET = { PD_T_SMTP_PASSWORD: undefined, PD_T_SCAN_IN_TOKEN: undefined, PD_T_SOC_READ_TOKEN: undefined };

function problems(text: string, scope: Parameters<typeof parseConfig>[2] = {}): string[] {
  try {
    parseConfig(text, 'portdelta.yaml', scope);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('${VAR} in keys a command does not use', () => {
  test('leave the other values of their section as written: ingest still gets server.max_body beside unset upload tokens', () => {
    const saved = { ...process.env };
    for (const k of Object.keys(UNSET)) delete process.env[k];
    try {
      const text = CONFIG.replace('  listen: 127.0.0.1:5000\n', '  listen: 127.0.0.1:5000\n  max_body: 4096\n');
      const config = parseConfig(text, 'portdelta.yaml', { uses: ['database', 'scanners'], command: 'ingest' });
      expect(config.server.max_body).toBe(4096);
      expect(config.server.listen).toBe('127.0.0.1:5000');
      expect(Object.keys(config.server.tokens)).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  test('drop a read token written as a mapping whole when its token is unset: its name and networks alone would fail the section', () => {
    const saved = { ...process.env };
    delete process.env.PD_T_SOC_READ_TOKEN;
    try {
      const text = CONFIG.replace('  read_tokens: ["${PD_T_SOC_READ_TOKEN}"]', '  max_body: 4096\n  read_tokens: [{ name: soc, token: "${PD_T_SOC_READ_TOKEN}", networks: [10.0.0.0/8] }]');
      const config = parseConfig(text, 'portdelta.yaml', { uses: ['database', 'scanners'], command: 'ingest' });
      expect(config.server.max_body).toBe(4096);
      expect(config.server.read_tokens).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  test('are neither resolved nor required: a reader loads the file with none of them set', () => {
    const saved = { ...process.env };
    for (const k of Object.keys(UNSET)) delete process.env[k];
    process.env.PD_T_SMTP_PASSWORD = 'not-for-readers';
    try {
      const config = parseConfig(CONFIG, 'portdelta.yaml', { uses: ['database'], command: 'changes' });
      expect(config.smtp?.password).not.toBe('not-for-readers');
    } finally {
      process.env = saved;
    }
  });

  test('the rest of the file is still checked as a whole', () => {
    const bad = CONFIG.replace('listen: 127.0.0.1:5000', 'listen: nowhere');
    expect(problems(bad, { uses: ['database'], command: 'changes' })).toEqual([expect.stringContaining('server.listen: expected HOST:PORT')]);
  });

  test('for the command that uses them, each unset one is named once, and nothing false is added', () => {
    const p = problems(CONFIG, { uses: ['database', 'server'], command: 'serve' });
    expect(p).toEqual([
      'server.tokens[#1 ${PD_T_SCAN_IN_TOKEN}]: environment variable PD_T_SCAN_IN_TOKEN is not set (used as ${PD_T_SCAN_IN_TOKEN}); `portdelta serve` needs it',
      'server.read_tokens.0: environment variable PD_T_SOC_READ_TOKEN is not set (used as ${PD_T_SOC_READ_TOKEN}); `portdelta serve` needs it',
    ]);
  });
});

describe('the CLI, with the tokens of docs/server.md in the config and none of them in the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-secrets-'));
    fs.writeFileSync(path.join(dir, 'portdelta.yaml'), `database: ${path.join(dir, 'pd.sqlite')}\ninbox: ${dir}\n${CONFIG}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


  test('the nightly readers work: migrate, then changes and state', async () => {
    for (const args of [['migrate'], ['changes'], ['state'], ['hosts']]) {
      const r = await cli(['--config', path.join(dir, 'portdelta.yaml'), ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  test('serve fails naming each variable it needs, exit 2', async () => {
    const r = await cli(['--config', path.join(dir, 'portdelta.yaml'), 'serve']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment variable PD_T_SCAN_IN_TOKEN is not set');
    expect(r.stderr).toContain('environment variable PD_T_SOC_READ_TOKEN is not set');
    expect(r.stderr).not.toContain('PD_T_SMTP_PASSWORD');
    expect(r.stderr).not.toContain('also in server.tokens');

  });
});

describe('an unknown key gets the nearest known one', () => {
  test.each([
    ['smpt: { host: 127.0.0.1 }', "(top level): Unrecognized key(s) in object: 'smpt' (did you mean 'smtp'?)"],
    ['scanners: { a: { close-after: 2 } }', "scanners.a: Unrecognized key(s) in object: 'close-after' (did you mean 'close_after'?)"],
    ['server: { listne: 127.0.0.1:5000 }', "server: Unrecognized key(s) in object: 'listne' (did you mean 'listen'?)"],
    ['output_agents: [{ name: h, kind: hook, command: [/bin/true], scaners: [a] }]', "output_agents.0: Unrecognized key(s) in object: 'scaners' (did you mean 'scanners'?)"],
    ['output_agents: [{ name: f, kind: file, path: /tmp/x, fromat: jsonl }]', "output_agents.0: Unrecognized key(s) in object: 'fromat' (did you mean 'format'?)"],
    ['colour: red', "(top level): Unrecognized key(s) in object: 'colour'"],
  ])('%s', (text, line) => {
    expect(problems(text + '\n')).toContain(line);
  });
});
