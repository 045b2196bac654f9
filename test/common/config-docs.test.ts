// The configurations the documentation hands to users load as they are: the commented example, the
// walkthrough's file before and after its agents are added (with the policy it names), and the
// documented rules for ${VAR}.
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { loadPolicy } from '../../output-agents/policy';
import { ROOT } from '../helpers/cli';

const doc = (name: string) => fs.readFileSync(path.join(ROOT, 'docs', name), 'utf8');

/** Runs fn with these environment variables set (undefined: unset), then puts them back. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

test('docs/portdelta.example.yaml loads, with no environment variable set for it', () => {
  const config = withEnv({ SCAN_IN_TOKEN: undefined, SMTP_PASSWORD: undefined }, () => parseConfig(doc('portdelta.example.yaml'), 'docs/portdelta.example.yaml'));
  expect(Object.keys(config.scanners)).toEqual(['scan-in', 'scan-out']);
  expect(config.output_agents.map((a) => [a.name, a.kind])).toEqual([['netops-mail', 'email'], ['siem', 'file'], ['soc-enrich', 'hook'], ['soc-chat', 'webhook']]);
  expect(config.smtp).toMatchObject({ host: '127.0.0.1', port: 25 });
  expect(config.policy).toBe('/etc/portdelta/policy.yaml');
});

test('docs/policy.example.yaml loads', () => {
  expect(loadPolicy(path.join(ROOT, 'docs/policy.example.yaml')).rules.length).toBeGreaterThan(5);
});

test('the walkthrough\'s configuration loads, before and after its two agents are appended, and its policy path resolves', () => {
  const blocks = [...doc('walkthrough.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(2);
  const first = parseConfig(blocks[0], 'walk/portdelta.yaml');
  expect(first.output_agents.map((a) => a.name)).toEqual(['netops-mail']);
  const both = parseConfig(blocks[0] + '\n' + blocks[1], 'walk/portdelta.yaml');
  expect(both.output_agents.map((a) => [a.name, a.kind])).toEqual([['netops-mail', 'email'], ['siem', 'file'], ['ticket', 'hook']]);
  expect(both.output_agents.find((a) => a.name === 'ticket')).toMatchObject({ onlyUnexpected: true, targetGroup: 'tickets' });
  // The walkthrough works in walk/ inside the clone: the policy path counts from there.
  expect(loadPolicy(path.resolve(ROOT, 'walk', first.policy!)).rules.length).toBeGreaterThan(5);
});

describe('${VAR} (docs/configuration.md)', () => {
  const smtp = (extra: string) => `smtp:\n  host: 127.0.0.1\n  from: pd@example.org\n${extra}`;

  test('is replaced inside a value, which stays one string whatever the variable holds', () => {
    const config = withEnv({ PD_USER: 'ops # x: y' }, () => parseConfig(smtp('  user: "${PD_USER}"\n  password: "${PD_USER}-2"\n'), 'c.yaml'));
    expect(config.smtp).toMatchObject({ user: 'ops # x: y', password: 'ops # x: y-2' });
  });

  test('is not replaced in comments, so an unset variable there is no error', () => {
    const config = withEnv({ PD_UNSET: undefined }, () => parseConfig(smtp('# tokens: { "${PD_UNSET}": scan-in }\n'), 'c.yaml'));
    expect(config.smtp!.from).toBe('pd@example.org');
  });

  test('unset in a value is an error naming the key', () => {
    expect(() => withEnv({ PD_UNSET: undefined }, () => parseConfig(smtp('  user: "${PD_UNSET}"\n'), 'c.yaml'))).toThrow(/smtp\.user: environment variable PD_UNSET is not set/);
  });
});
