// The configurations docs/phpipam.md and docs/netbox.md hand to users load as they are, with their
// tokens from the environment, and ca_file counts from the configuration file's folder.
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { ROOT } from '../helpers/cli';

const yamlOf = (name: string) => [...fs.readFileSync(path.join(ROOT, 'docs', name), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);

test.each([
  ['phpipam.md', 'PHPIPAM_TOKEN', { api_url: 'https://ipam.example.org', client_name: 'portdelta', client_token: 'from-env', create_addresses: true, update_hostname: true, host_gone: { tag: 1 }, up_tag: 2, rate: 5, timeout: 30_000 }],
  ['netbox.md', 'NETBOX_TOKEN', { api_url: 'https://netbox.example.org/api/', token: 'from-env', on_close: 'delete', only_own: true, create_ip_addresses: false, closed_tag: 'portdelta-closed' }],
])('the configuration in docs/%s loads, its token from %s', (doc, variable, options) => {
  const blocks = yamlOf(doc);
  expect(blocks).toHaveLength(1);
  process.env[variable] = 'from-env';
  try {
    const config = parseConfig(blocks[0], '/etc/portdelta/portdelta.yaml');
    expect(config.output_agents).toHaveLength(1);
    expect(config.output_agents[0].options).toMatchObject({ ...options, ca_file: '/etc/portdelta/ca.pem', caPath: '/etc/portdelta/ca.pem' });
  } finally {
    delete process.env[variable];
  }
});

test('ca_file given relative counts from the configuration file\'s folder', () => {
  const text = 'output_agents:\n  - { name: nb, kind: netbox, api_url: "https://nb.example.org", token: t, ca_file: certs/ca.pem }\n';
  expect(parseConfig(text, '/etc/portdelta/portdelta.yaml').output_agents[0].options).toMatchObject({ caPath: '/etc/portdelta/certs/ca.pem' });
});

test('the inventory kinds take a first scan change by change unless include_baseline says otherwise; the others take its summary', () => {
  const entries = [
    '{ name: ipam, kind: phpipam, api_url: "https://ipam.example.org", client_name: pd, client_token: t }',
    '{ name: nb, kind: netbox, api_url: "https://nb.example.org", token: t }',
    '{ name: nb2, kind: netbox, api_url: "https://nb.example.org", token: t, include_baseline: false }',
    '{ name: hook, kind: file, path: changes.jsonl }',
  ];
  const config = parseConfig(`output_agents:\n${entries.map((e) => `  - ${e}\n`).join('')}`, '/etc/portdelta/portdelta.yaml');
  expect(config.output_agents.map((a) => [a.name, a.includeBaseline])).toEqual([['ipam', true], ['nb', true], ['nb2', false], ['hook', false]]);
});
