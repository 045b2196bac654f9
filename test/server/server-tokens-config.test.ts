// Upload tokens are the keys of server.tokens, and configuration problems go to cron mail and
// journald: a problem names the entry by its position (and its ${VAR}), never by the token itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { ConfigError } from '../../common/errors';
import { cli } from '../helpers/cli';

const LITERAL_SHORT = 'short-Tok-4711';
const FROM_ENV_SHORT = 'envshort-0815';
const GOOD_LITERAL = 'good-literal-token-0123456789abcdef';
const GOOD_FROM_ENV = 'good-env-token-9876543210fedcba';
const MISPLACED = 'misplaced-4c1f0e9a7b3d2c1e0f9a8b7c';
const SECRETS = [LITERAL_SHORT, FROM_ENV_SHORT, GOOD_LITERAL, GOOD_FROM_ENV, MISPLACED];

const YAML_TEXT = [
  'server:',
  '  tokens:',
  `    "${LITERAL_SHORT}": scan-in`, // #1: too short, written in the file
  '    "${PD_TEST_SHORT}": scan-out', // #2: too short, from the environment
  `    "${GOOD_LITERAL}": "bad/name"`, // #3: a good token with a bad scanner name
  '    "${PD_TEST_GOOD}": "${PD_TEST_UNSET}"', // #4: its scanner name's variable is not set
  `    "${GOOD_LITERAL}x": "\${PD_TEST_UNSET}"`, // #5: the same, the key written in the file
  '  "${PD_TEST_MISPLACED}": dmz', // a token one level too high, from the environment
  `  "${MISPLACED}": dmz`, // and written in the file
].join('\n') + '\n';

const ENV = { PD_TEST_SHORT: FROM_ENV_SHORT, PD_TEST_GOOD: GOOD_FROM_ENV, PD_TEST_MISPLACED: MISPLACED + 'e' };

function problems(): string[] {
  const saved = { ...process.env };
  Object.assign(process.env, ENV);
  delete process.env.PD_TEST_UNSET;
  try {
    parseConfig(YAML_TEXT, 'portdelta.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  } finally {
    process.env = saved;
  }
  throw new Error('the configuration was accepted');
}

describe('a bad server.tokens entry', () => {
  test.each([
    ['a literal token that is too short', 'server.tokens[#1]: a token needs at least 16 characters'],
    ['a token from ${VAR} that is too short', 'server.tokens[#2 ${PD_TEST_SHORT}]: a token needs at least 16 characters'],
    ['a bad scanner name', 'server.tokens[#3]: a scanner name'],
    ['an unset variable in the scanner name (key from ${VAR})', 'server.tokens[#4 ${PD_TEST_GOOD}]: environment variable PD_TEST_UNSET is not set'],
    ['an unset variable in the scanner name (key in the file)', 'server.tokens[#5]: environment variable PD_TEST_UNSET is not set'],
  ])('is listed by position: %s', (_what, line) => {
    expect(problems().some((p) => p.startsWith(line))).toBe(true);
  });

  test('a token in the wrong place is named by its ${VAR}, or not at all', () => {
    const line = problems().find((p) => p.startsWith('server: Unrecognized key(s)'));
    expect(line).toBe(`server: Unrecognized key(s) in object: \${PD_TEST_MISPLACED}, a key of ${MISPLACED.length} characters (not shown: it may be a token)`);
  });

  test('no problem line holds any token text', () => {
    const all = problems().join('\n');
    for (const s of SECRETS) expect(all).not.toContain(s);
  });

  test('serve prints the problems without the tokens, exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-redact-'));
    try {
      fs.writeFileSync(path.join(dir, 'portdelta.yaml'), YAML_TEXT);
      const r = await cli(['--db', path.join(dir, 'x.sqlite'), '--config', path.join(dir, 'portdelta.yaml'), 'serve', '--ingest'], { env: ENV });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('server.tokens[#1]: a token needs at least 16 characters');
      expect(r.stderr).toContain('server.tokens[#2 ${PD_TEST_SHORT}]');
      for (const s of SECRETS) expect(r.stderr + r.stdout).not.toContain(s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('server.read_tokens', () => {
  const problemsOf = (text: string): string[] => {
    try {
      parseConfig(text, 'portdelta.yaml');
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  test('a token that is also an upload token, or too short, is refused by position, without its text', () => {
    const p = problemsOf(`server:\n  tokens: { "${GOOD_LITERAL}": scan-in }\n  read_tokens: ["${GOOD_FROM_ENV}", "${GOOD_LITERAL}", "${LITERAL_SHORT}"]\n`);
    expect(p).toHaveLength(2);
    expect(p.some((l) => l.startsWith('server.read_tokens.1: this token is also in server.tokens'))).toBe(true);
    expect(p.some((l) => l.startsWith('server.read_tokens.2: a token needs at least 16 characters'))).toBe(true);
    for (const s of SECRETS) expect(p.join('\n')).not.toContain(s);
  });

  test('distinct read tokens are accepted', () => {
    expect(problemsOf(`server:\n  tokens: { "${GOOD_LITERAL}": scan-in }\n  read_tokens: ["${GOOD_FROM_ENV}"]\n`)).toEqual([]);
  });
});

describe('server.read_tokens bound to networks', () => {
  const parse = (text: string): { problems: string[]; config?: ReturnType<typeof parseConfig> } => {
    try {
      return { problems: [], config: parseConfig(text, 'portdelta.yaml') };
    } catch (e) {
      if (e instanceof ConfigError) return { problems: e.problems };
      throw e;
    }
  };
  const BOUND = 'bound-token-0123456789abcdef';
  const OTHER = 'other-token-0123456789abcdef';

  test('the object form sits beside the plain one; the plain one reads every network as before', () => {
    const { problems: p, config } = parse(
      `server:\n  metrics_public: true\n  read_tokens:\n    - "${GOOD_LITERAL}"\n    - { name: soc-lab, token: "${BOUND}", networks: [10.66.0.0/16, 10.1.2.3, "fd00::/64"] }\n`,
    );
    expect(p).toEqual([]);
    expect(config!.server.metrics_public).toBe(true);
    expect(config!.server.read_tokens.map((t) => [t.name, t.networks?.length ?? null])).toEqual([[null, null], ['soc-lab', 3]]);
    expect(parse('server: {}\n').config!.server.metrics_public).toBe(false);
  });

  test('every problem is listed at once with its key path, and no token text', () => {
    const { problems: p } = parse([
      'server:',
      '  metrics_public: "yes"',
      '  read_tokens:',
      `    - { name: lab, token: "${BOUND}", networks: [10.66.0.0/33, 10.1.0.0/16] }`,
      `    - { name: lab, token: "${OTHER}", networks: [10.2.0.0/16] }`,
      `    - { name: dup, token: "${OTHER}", networks: [10.3.0.0/16] }`,
      `    - { name: "a b", token: "${LITERAL_SHORT}", networks: [] }`,
      `    - "${OTHER}"`,
      '    - 42',
    ].join('\n') + '\n');
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^server\.metrics_public: Expected boolean/),
      "server.read_tokens.0.networks.0: '10.66.0.0/33' is not an address, CIDR or address range (e.g. 10.66.0.0/16, fd00::/64)",
      "server.read_tokens.1.name: 'lab' is also the name of server.read_tokens.0: names tell readers apart in the log",
      'server.read_tokens.2: the same token as server.read_tokens.1: each reader needs its own token',
      'server.read_tokens.3.name: a name of 1 to 64 letters, digits, . _ -',
      'server.read_tokens.3.token: a token needs at least 16 characters (e.g. `openssl rand -hex 32`)',
      expect.stringMatching(/^server\.read_tokens\.3\.networks: give at least one network/),
      'server.read_tokens.4: the same token as server.read_tokens.1: each reader needs its own token',
      expect.stringMatching(/^server\.read_tokens\.5: a read token is a string, or \{ name, token, networks/),
    ]));
    expect(p).toHaveLength(9);
    for (const s of [...SECRETS, BOUND, OTHER]) expect(p.join('\n')).not.toContain(s);
  });

  test('a bound token that is also an upload token is refused like a plain one', () => {
    const { problems: p } = parse(`server:\n  tokens: { "${GOOD_LITERAL}": scan-in }\n  read_tokens:\n    - { name: x, token: "${GOOD_LITERAL}", networks: [10.0.0.0/8] }\n`);
    expect(p).toEqual([expect.stringMatching(/^server\.read_tokens\.0: this token is also in server\.tokens/)]);
  });
});
