// docs/siem.md as a user reads it: its syslog entry loads as a configuration, its CEF example is
// what the cef format writes for that change, and every extension key it shows is in its table.
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { changeFacts } from '../../output-agents/siem/facts';
import { cefLine } from '../../output-agents/siem/cef';
import type { ReportChange } from '../../output-agents/types';
import { ROOT } from '../helpers/cli';
import { parseCef } from '../helpers/syslog';

const doc = fs.readFileSync(path.join(ROOT, 'docs', 'siem.md'), 'utf8');

test('the syslog example of docs/siem.md loads as a configuration', () => {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1];
  const config = parseConfig(yaml, path.join(ROOT, 'docs', 'portdelta.yaml'));
  expect(config.output_agents.map((a) => [a.name, a.kind])).toEqual([['soc-syslog', 'syslog']]);
});

test('the CEF example of docs/siem.md is what the cef format writes, and its table names every key it shows', () => {
  const example = /^CEF:0\|.*$/m.exec(doc)![0];
  const c: ReportChange = {
    id: 7, scanner: 'scan-in', group: 'inside', ip: '10.66.1.10', proto: 'tcp', port: 8443, type: 8, types: ['new_port'], hostname: 'web01.lab-a.test',
    previous_hostname: null, returning: false, detected_at: '2026-11-21T02:13:07.000Z', scan_id: 3, details: null, service: null, previous_service: null, cert: null, previous_cert: null, baseline: false, confirms: null, scan_time: null,
    policy: { expected: false, owner: 'web-team', note: null }, text: 'port 8443/tcp newly open',
  };
  expect(cefLine(changeFacts(c, 'soc-syslog', new Date()))).toBe(example);
  for (const key of Object.keys(parseCef(example).ext)) expect(doc).toMatch(new RegExp(`^\\|[^\\n]*\`${key}[\`=]`, 'm'));
});
