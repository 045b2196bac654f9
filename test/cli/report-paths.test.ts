// Relative paths in output agents count from the configuration file's folder, as `policy` does: a
// config in one folder, `report` run by cron from another, and the file agent's output, the email
// agent's template and the policy are all found beside the config, nothing lands in the cwd.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { ids, jsonl, ReportLab } from '../helpers/report';
import { startSmtp } from '../helpers/smtp';

forEachDb('report: relative paths in output agents', (db) => {
  test('a relative file path, text template and policy are taken from the configuration\'s folder, not the current directory', async () => {
    const lab = new ReportLab(db.fresh());
    const smtp = await startSmtp();
    try {
      await lab.ingestLab(lab.config([]), [1]);
      const want = (await lab.changes()).filter((c) => c.ip === '10.66.1.10');
      const confDir = fs.mkdtempSync(path.join(lab.scratch.dir, 'etc-'));
      const cwd = fs.mkdtempSync(path.join(lab.scratch.dir, 'cwd-'));
      fs.mkdirSync(path.join(confDir, 'out'));
      fs.mkdirSync(path.join(confDir, 'templates'));
      fs.writeFileSync(path.join(confDir, 'templates', 'mail.txt.hbs'), 'custom template: {{count}} for {{agent}}\n');
      fs.writeFileSync(path.join(confDir, 'policy.csv'), 'network,proto,ports,action,owner,note\n10.66.1.10,tcp,any,deny,web-team,\n');
      const config = path.join(confDir, 'portdelta.yaml');
      fs.copyFileSync(lab.config([
        { name: 'siem', kind: 'file', path: 'out/changes.jsonl', networks: '10.66.1.10' },
        { name: 'mail', kind: 'email', to: 'soc@example.org', text_template: 'templates/mail.txt.hbs', networks: '10.66.1.10' },
      ], undefined, { policy: 'policy.csv', smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } }), config);

      const r = await lab.report(config, [], { cwd });
      expect(r.stderr).not.toMatch(/error|cannot/i);
      expect(r.code).toBe(0);
      const lines = jsonl(path.join(confDir, 'out', 'changes.jsonl'));
      expect(ids(lines)).toEqual(ids(want));
      expect(lines.filter((c) => c.port !== null).map((c) => c.policy)).toEqual(want.filter((c) => c.port !== null).map(() => expect.objectContaining({ expected: false, owner: 'web-team' })));
      expect(lines.some((c) => c.port !== null)).toBe(true);
      expect(smtp.messages.map((m) => m.mail.text)).toEqual([`custom template: ${want.length} for mail\n`]);
      expect(fs.readdirSync(cwd)).toEqual([]);
    } finally {
      await smtp.close();
      lab.remove();
    }
  });

  test('a relative template that is not in the configuration\'s folder is an error naming the path it looked at', async () => {
    const lab = new ReportLab(db.fresh());
    try {
      const confDir = fs.mkdtempSync(path.join(lab.scratch.dir, 'etc-'));
      const cwd = fs.mkdtempSync(path.join(lab.scratch.dir, 'cwd-'));
      fs.writeFileSync(path.join(cwd, 'mail.txt.hbs'), 'only in the cwd {{count}}\n');
      const config = path.join(confDir, 'portdelta.yaml');
      fs.copyFileSync(lab.config([{ name: 'mail', kind: 'email', to: 'soc@example.org', text_template: 'mail.txt.hbs' }], undefined, {
        smtp: { host: '127.0.0.1', from: 'portdelta@example.org' },
      }), config);
      const r = await lab.report(config, [], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`output_agents.0.text_template: text template ${path.join(confDir, 'mail.txt.hbs')}: cannot be read`);
    } finally {
      lab.remove();
    }
  });
});
