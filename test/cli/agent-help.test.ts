// `agent --help` describes the agent's own configuration (issue 12.7): where the file is read from
// and every key the agent's schema knows, so the help cannot drift from scan-agent/config.ts.
import { cli } from '../helpers/cli';
import { agentSchema } from '../../scan-agent/config';

async function help(argv: string[]): Promise<string> {
  const r = await cli(argv);
  expect(r.code).toBe(0);
  return r.stdout + r.stderr;
}

test('names where the agent file is read from', async () => {
  const text = await help(['agent', '--help']);
  for (const where of ['--config FILE', 'PORTDELTA_AGENT_CONFIG', '/etc/portdelta/agent.yaml', 'docs/agent.md']) expect(text).toContain(where);
});

test.each(Object.keys(agentSchema.innerType().shape))('lists the key %s', async (key) => {
  expect(await help(['agent', '--help'])).toMatch(new RegExp(`\\b${key}\\b`));
});

test("the server's commands do not show the agent's keys", async () => {
  expect(await help(['changes', '--help'])).not.toContain('scanagent_code');
});
