// A mail on a busy night (DESIGN §4): it opens with an overview — counts in words by type, by
// scanner and by network, unexpected first — and lists at most max_listed changes, unexpected ones
// first, naming the exact `portdelta changes` command that lists the rest. Real lab-a nights, the
// spawned CLI, a real SMTP server on loopback, both databases.
import { ChangeType, type ChangeRow } from '../../common/types';
import { cliJson } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { expectation, yamlPolicy, type SimpleRule } from '../helpers/policy-oracle';
import { ids, ReportLab } from '../helpers/report';
import { startSmtp, type TestSmtp } from '../helpers/smtp';

// Everything is allowed on the lab's /24 but 8443/tcp on web01: its opening, and the closing of
// any allowed port, are unexpected.
const RULES: SimpleRule[] = [
  { network: '10.66.1.0/24', proto: 'any', ports: 'any', action: 'allow', owner: 'net-team' },
  { network: '10.66.1.10', proto: 'tcp', ports: '8443', action: 'deny', note: 'no admin UI' },
];

function unexpected(c: ChangeRow): boolean {
  if (c.port === null || c.proto === null) return false;
  const allowed = expectation(RULES, c.ip!, c.proto, c.port).reason === 'allowed';
  if (c.type & (ChangeType.new_port | ChangeType.port_reopened)) return !allowed;
  return (c.type & ChangeType.port_closed) !== 0 && allowed;
}

/** Words written out from docs/output-agents.md, independent of output-agents/overview.ts. */
const WORDS: Record<string, [string, string]> = {
  new_host: ['new host', 'new hosts'],
  host_down: ['host gone', 'hosts gone'],
  dns_changed: ['DNS name change', 'DNS name changes'],
  new_port: ['newly open port', 'newly open ports'],
  port_closed: ['closed port', 'closed ports'],
  port_reopened: ['port open again', 'ports open again'],
};
const PORT_TYPES = ['new_port', 'port_closed', 'port_reopened'];

function words(rows: ChangeRow[]): string {
  const counts = new Map<string, number>();
  for (const c of rows) for (const t of c.types.filter((t) => (c.port === null) !== PORT_TYPES.includes(t))) counts.set(t, (counts.get(t) ?? 0) + 1);
  return Object.keys(WORDS).filter((t) => counts.has(t)).map((t) => `${counts.get(t)} ${WORDS[t][counts.get(t) === 1 ? 0 : 1]}`).join(', ');
}

function byKey(rows: ChangeRow[], key: (c: ChangeRow) => string): string {
  const counts = new Map<string, number>();
  for (const c of rows) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ');
}

forEachDb('report: an overview first, at most max_listed changes, the command for the rest', (db) => {
  let lab: ReportLab;
  let smtp: TestSmtp;
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    lab.remove();
  });

  test('the overview counts every change; max_listed lists the unexpected first; `changes --report … --unlisted` lists exactly the rest', async () => {
    lab.scratch.write('policy.yaml', yamlPolicy(RULES));
    const max = 12;
    const config = lab.config(
      [{ name: 'soc-mail', kind: 'email', to: 'soc@example.org', max_listed: max }],
      undefined,
      { policy: 'policy.yaml', smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } },
    );
    await lab.ingestLab(config, [1, 2, 3]);
    const all = await lab.changes();
    const against = all.filter(unexpected);
    expect(against.length).toBeGreaterThan(0);
    expect(against.length).toBeLessThan(max);
    expect(all.length).toBeGreaterThan(max * 3);

    const r = await lab.reportJson(config);
    expect(r.results[0]).toMatchObject({ status: 'ok', delivered: all.length });
    const text = smtp.messages[0].mail.text!;
    const overview = text.slice(text.indexOf('\nOverview\n'));
    expect(overview.split('\n').slice(2, 6)).toEqual([
      `  Unexpected:  ${words(against)}`,
      `  Changes:     ${words(all)}`,
      `  By scanner:  ${byKey(all, (c) => c.scanner)}`,
      `  By network:  10.66.1.0/24 ${all.length}`,
    ]);

    const listed = text.split('\n').filter((l) => l.startsWith('  - '));
    expect(listed).toHaveLength(max);
    expect(listed.filter((l) => l.includes('[unexpected'))).toHaveLength(against.length);
    const m = /(\d+) more not listed here \(12 of (\d+) are, unexpected first\); they are listed by:\n {2}(portdelta changes --report ([0-9a-f]+) --unlisted)\n/.exec(text);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(all.length - max);
    expect(Number(m![2])).toBe(all.length);

    const rest = await cliJson<ChangeRow[]>(['--db', lab.db, 'changes', '--report', m![4], '--unlisted']);
    expect(rest).toHaveLength(all.length - max);
    expect(rest.filter(unexpected)).toEqual([]);
    expect(ids(await cliJson<ChangeRow[]>(['--db', lab.db, 'changes', '--report', m![4]]))).toEqual(ids(all));
  });
});
