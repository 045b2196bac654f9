// `report` with a target-state policy, end to end: lab-a nights 1–2 ingested with the spawned CLI, a
// config whose `policy:` names a YAML file written here. The mail (real SMTP server on loopback) marks
// every change expected or unexpected with its owner exactly as an independent reading of the policy
// (test/helpers/policy-oracle.ts) says; an `only_unexpected` agent gets exactly the changes the
// policy does not expect, each JSON line carrying the verdict.
import { ChangeType, type ChangeRow } from '../../common/types';
import type { PolicyVerdict } from '../../output-agents/types';
import { forEachDb } from '../helpers/db';
import { about, expectation, yamlPolicy, type SimpleRule } from '../helpers/policy-oracle';
import { ids, jsonl, ReportLab } from '../helpers/report';
import { asReportChanges } from '../helpers/report-batch';
import { expectEveryChange } from '../helpers/report-check';
import { startSmtp } from '../helpers/smtp';

// lab-a is 10.66.1.0/24 (test/fixtures/scans/README.md). The /28 leaves prn01 (.16) and ns1 (.53)
// to their own rules: .16 is covered by none, so its changes have no verdict and no owner.
const RULES: SimpleRule[] = [
  { network: '10.66.1.0/28', proto: 'tcp', ports: '22', action: 'allow', owner: 'net-team', note: 'ssh from the jump host' },
  { network: '10.66.1.10-10.66.1.11', proto: 'tcp', ports: '80,443', action: 'allow', owner: 'web-team' },
  { network: '10.66.1.10', proto: 'tcp', ports: '8443', action: 'deny', note: 'no admin UI' },
  { network: '10.66.1.12', proto: 'tcp', ports: '3306', action: 'allow', owner: 'db-team' },
  { network: '10.66.1.13', proto: 'tcp', ports: '25,143,587', action: 'allow', owner: 'mail-team', note: 'POP3 is retired' },
  { network: '10.66.1.15', proto: 'tcp', ports: '3000-9000', action: 'allow', owner: 'dev-team' },
  { network: '10.66.1.15', proto: 'tcp', ports: '9000', action: 'deny', owner: 'dev-team', note: 'no debug port' },
  { network: '10.66.1.53', proto: 'any', ports: '53', action: 'allow', owner: 'dns-team' },
];

const OPENING = ChangeType.new_port | ChangeType.port_reopened;

/** docs/target-state.md "Changes: expected or unexpected", applied to the oracle's reading of the rules. */
function verdict(c: ChangeRow): PolicyVerdict {
  if (c.proto === null || c.port === null) return { expected: null, ...about(RULES, c.ip!) };
  const e = expectation(RULES, c.ip!, c.proto, c.port);
  if (e.reason === 'no policy') return { expected: null, owner: null, note: null };
  const allowed = e.reason === 'allowed';
  const expected = (c.type & OPENING) !== 0 ? allowed : (c.type & ChangeType.port_closed) !== 0 ? !allowed : null;
  return { expected, owner: e.owner, note: e.note };
}

forEachDb('report: the target-state policy in mail and only_unexpected', (db) => {
  test('the mail marks each change as the policy says, with its owner; only_unexpected gets exactly the rest', async () => {
    const lab = new ReportLab(db.fresh());
    const smtp = await startSmtp();
    try {
      lab.scratch.write('policy.yaml', yamlPolicy(RULES));
      const out = lab.path('unexpected.jsonl');
      const config = lab.config(
        [
          { name: 'owners-mail', kind: 'email', to: 'soc@example.org' },
          { name: 'unexpected', kind: 'file', format: 'jsonl', path: out, only_unexpected: true },
        ],
        undefined,
        // Relative: counts from the config file's folder.
        { policy: 'policy.yaml', smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } },
      );
      await lab.ingestLab(config, [1, 2]);
      const all = await lab.changes();
      const verdicts = all.map(verdict);
      // The rules give every kind of verdict on these nights, so each branch is tested.
      for (const v of [true, false, null]) expect(verdicts.some((x) => x.expected === v)).toBe(true);
      expect(all.some((c) => c.types.includes('port_closed') && verdict(c).expected === true)).toBe(true);
      expect(verdicts.some((x) => x.expected === null && x.owner !== null)).toBe(true);
      const unexpected = all.filter((c) => verdict(c).expected !== true);
      const expectedCount = all.length - unexpected.length;

      const r = await lab.reportJson(config);
      expect(r.code).toBe(0);
      expect(r.results).toEqual([
        expect.objectContaining({ agent: 'owners-mail', status: 'ok', delivered: all.length, expected: 0 }),
        expect.objectContaining({ agent: 'unexpected', status: 'ok', delivered: unexpected.length, expected: expectedCount }),
      ]);

      expect(smtp.messages).toHaveLength(1);
      const [m] = smtp.messages;
      const changes = asReportChanges(all, verdict);
      expectEveryChange(m.mail.text!, m.mail.html as string, changes);
      const against = changes.filter((c) => c.policy.expected === false).length;
      expect(m.mail.text).toContain(`\n${against} of them unexpected by the target-state policy.\n`);

      const lines = jsonl(out);
      expect(ids(lines)).toEqual(ids(unexpected));
      for (const line of lines) expect(line.policy).toEqual(verdict(all.find((c) => c.id === line.id)!));

      const again = await lab.reportJson(config);
      expect(again.results.map((x) => [x.agent, x.delivered, x.expected])).toEqual([['owners-mail', 0, 0], ['unexpected', 0, 0]]);
      expect(jsonl(out)).toHaveLength(unexpected.length);
    } finally {
      await smtp.close();
      lab.remove();
    }
  });
});
