// Hostile host names from a scan file, end to end: a uniform CSV scan whose names carry shell
// syntax, markup and a CR/LF header injection is ingested with the spawned CLI, then `report` runs an
// email agent (real SMTP server on loopback) and a hook agent in one go, in a folder of its own.
// Nothing runs, nothing is created, the HTML is escaped, no header and no recipient is added.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { ReportLab } from '../helpers/report';
import { asReportChanges } from '../helpers/report-batch';
import { expectEveryChange } from '../helpers/report-check';
import { startSmtp } from '../helpers/smtp';

const HOSTILE = ['$(touch pwned)', 'a;touch pwned2', '`touch pwned3`', '<script>alert(1)</script>', 'x\r\nBcc: evil@example.org'];
const PWNED = /^pwned/;

forEachDb('report: hostile host names reach mail and hook as inert text', (db) => {
  test('an email and a hook agent in one config: no file appears, the HTML is escaped, no Bcc, no extra recipient', async () => {
    const lab = new ReportLab(db.fresh());
    const smtp = await startSmtp();
    const cwd = fs.mkdtempSync(path.join(lab.scratch.dir, 'cwd-'));
    try {
      const scan = lab.scratch.series(
        [HOSTILE.map((name, i) => `10.9.0.${i + 1},tcp,80,open,"${name.replace(/"/g, '""')}",`)],
        { scanner: 'hx', ports: 'tcp:1-1024' },
      )[0];
      const config = lab.config(
        [
          { name: 'mail', kind: 'email', to: 'soc@example.org', subject: 'new: {{#each hosts}}{{hostnames}} {{/each}}' },
          { name: 'hook', kind: 'hook', command: lab.hookCommand('ok', '{{hostname}}', '--host={{hostname}}') },
        ],
        { hx: {} },
        { smtp: { host: '127.0.0.1', port: smtp.port, from: 'portdelta@example.org' } },
      );
      await lab.ingest(config, scan);
      const changes = await lab.changes();
      expect(changes.map((c) => c.hostname)).toEqual([...HOSTILE, ...HOSTILE]);

      const r = await lab.report(config, [], { cwd });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`mail (email): ${changes.length} changes delivered\nhook (hook): ${changes.length} changes delivered\n`);
      expect(fs.readdirSync(cwd)).toEqual([]);
      expect(fs.readdirSync(ROOT).filter((f) => PWNED.test(f))).toEqual([]);
      expect(fs.readdirSync(lab.hookLog).filter((f) => PWNED.test(f))).toEqual([]);

      const calls = lab.hookCalls().sort((a, b) => a.stdin.id - b.stdin.id);
      expect(calls.map((c) => c.args)).toEqual(changes.map((c) => [c.hostname, `--host=${c.hostname}`]));

      expect(smtp.messages).toHaveLength(1);
      const [m] = smtp.messages;
      expect(m.rcpt).toEqual(['soc@example.org']);
      expect(m.mail.headers.has('bcc')).toBe(false);
      expect(m.raw.slice(0, m.raw.search(/\r?\n\r?\n/))).not.toMatch(/^bcc:/im);
      expect(m.mail.subject).not.toMatch(/[\r\n]/);
      expect(m.mail.subject).toContain('Bcc: evil@example.org');
      const html = m.mail.html as string;
      expect(html).not.toContain('<script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(m.mail.text).not.toMatch(/\nBcc:/);
      expectEveryChange(m.mail.text!, html, asReportChanges(changes));
    } finally {
      await smtp.close();
      lab.remove();
    }
  });
});
