// The email agent against a real SMTP server on loopback (smtp-server), the mail parsed back with
// mailparser: recipients, subject and every change in both parts; a refusing or absent server makes
// the delivery fail; hostile hostnames from a scan file inject neither markup nor headers.
import fs from 'node:fs';
import path from 'node:path';
import { email, type EmailOptions } from '../../output-agents/email';
import { smtpSchema } from '../../output-agents/smtp-settings';
import type { ChangeRow } from '../../common/types';
import type { DeliveryDeps } from '../../output-agents/types';
import type { Disagreement } from '../../common/types';
import { ROOT } from '../helpers/cli';
import { csvText, Scratch } from '../helpers/csv-scan';
import { forEachDb } from '../helpers/db';
import { asReportChanges, batchOf, HOSTILE, ingestAndList, labAChanges, labAPolicy } from '../helpers/report-batch';
import { expectEveryChange, htmlEscape } from '../helpers/report-check';
import { closedPort, smtpReply, startSmtp, type TestSmtp } from '../helpers/smtp';

const SENDER = 'portdelta@example.org';

function options(raw: Record<string, unknown>): EmailOptions {
  const r = email.parseOptions(raw);
  if (r.errors) throw new Error(r.errors.join('\n'));
  return r.value;
}

function deps(port: number, log: string[] = [], smtp: Record<string, unknown> = {}): DeliveryDeps {
  return {
    smtp: smtpSchema.parse({ host: '127.0.0.1', port, from: SENDER, timeout: '20s', ...smtp }),
    log: (line) => log.push(line),
    now: () => new Date('2025-03-04T06:30:00Z'),
  };
}

forEachDb('email agent', (db) => {
  const scratch = new Scratch();
  let url: string;
  let rows: ChangeRow[];
  let smtp: TestSmtp | undefined;
  beforeAll(async () => {
    url = db.fresh();
    rows = await labAChanges(url);
  });
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });
  afterAll(() => scratch.remove());

  test('sends one mail to the configured recipients with every change in the text and the HTML part', async () => {
    smtp = await startSmtp();
    const changes = asReportChanges(rows, labAPolicy, (c) => (c.port === 8443 ? rows[0].id : null));
    const opts = options({ to: ['soc@example.org', 'Net Ops <netops@example.org>'], cc: 'audit@example.org', reply_to: 'noc@example.org' });
    const log: string[] = [];
    await email.deliver(batchOf(changes), opts, deps(smtp.port, log));

    expect(smtp.messages).toHaveLength(1);
    const [m] = smtp.messages;
    expect(m.from).toBe(SENDER);
    expect(m.rcpt).toEqual(['soc@example.org', 'netops@example.org', 'audit@example.org']);
    const addrs = (a: typeof m.mail.to) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));
    expect(addrs(m.mail.to)).toEqual(['soc@example.org', 'netops@example.org']);
    expect(addrs(m.mail.cc)).toEqual(['audit@example.org']);
    expect(addrs(m.mail.replyTo)).toEqual(['noc@example.org']);
    expect(m.mail.from!.value[0].address).toBe(SENDER);
    expect(m.mail.subject).toMatch(new RegExp(`^portdelta: ${rows.length} changes \\(\\d+ new_host, \\d+ new_port, 2 port_closed\\)$`));
    expect(m.mail.text).toBeTruthy();
    expect(m.mail.html).toBeTruthy();
    expectEveryChange(m.mail.text!, m.mail.html as string, changes);
    expect(log.join('\n')).toContain('mail sent to soc@example.org');
  });

  test('adds the disagreements section to the mail when the batch has one', async () => {
    smtp = await startSmtp();
    const c = rows.find((r) => r.port === 8443)!;
    const disagreements: Disagreement[] = [{
      group: 'inside', ip: c.ip!, proto: 'tcp', port: 8443, hostname: c.hostname,
      views: [{ scanner: 'scan-in', view: 'open', scan_id: c.scan_id, scan_time: c.detected_at }, { scanner: 'scan-in-b', view: 'not open', scan_id: 7, scan_time: null }],
    }];
    await email.deliver(batchOf([], { disagreements }), options({ to: 'soc@example.org' }), deps(smtp.port));
    const [m] = smtp.messages;
    expect(m.mail.subject).toBe('portdelta: 0 changes, 1 scanner disagreement');
    expect(m.mail.text).toContain('Scanner groups that disagree (1)');
    expect(m.mail.text).toContain('10.66.1.10:8443/tcp  web01.lab-a.test  (group inside)\n  - scan-in: open (scan 2025-03-04 02:00 UTC)\n  - scan-in-b: not open (scan unknown)');
    expect(m.mail.html).toContain('<td>10.66.1.10:8443/tcp</td>');
  });

  test('sends nothing when there is nothing to report', async () => {
    smtp = await startSmtp();
    const log: string[] = [];
    await email.deliver(batchOf([]), options({ to: 'soc@example.org' }), deps(smtp.port, log));
    expect(smtp.connections).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    expect(log).toEqual(['nothing to report, no mail sent']);
  });

  test('fails with the server\'s answer when it refuses the recipients (550)', async () => {
    smtp = await startSmtp({ onRcptTo: (_addr, _session, cb) => cb(smtpReply(550, 'No such mailbox here')) });
    const p = email.deliver(batchOf(asReportChanges(rows)), options({ to: 'soc@example.org' }), deps(smtp.port));
    await expect(p).rejects.toMatchObject({ code: 'DELIVERY' });
    await expect(p).rejects.toThrow(/email agent soc-mail: sending through 127\.0\.0\.1:\d+ failed: .*550 No such mailbox here/);
    expect(smtp.messages).toHaveLength(0);
  });

  test('fails with the server\'s answer when it refuses the message (451)', async () => {
    smtp = await startSmtp({
      onData: (stream, _session, cb) => {
        stream.resume();
        stream.on('end', () => cb(smtpReply(451, 'Try again later')));
      },
    });
    const p = email.deliver(batchOf(asReportChanges(rows)), options({ to: 'soc@example.org' }), deps(smtp.port));
    await expect(p).rejects.toThrow(/failed: DATA answered: 451 Try again later/);
    await expect(p).rejects.toMatchObject({ code: 'DELIVERY' });
  });

  test('counts a mail as sent when the server takes some recipients, and logs the refused ones', async () => {
    smtp = await startSmtp({ onRcptTo: (addr, _session, cb) => cb(addr.address === 'gone@example.org' ? smtpReply(550, 'gone') : undefined) });
    const log: string[] = [];
    await email.deliver(batchOf(asReportChanges(rows)), options({ to: ['soc@example.org', 'gone@example.org'] }), deps(smtp.port, log));
    expect(smtp.messages.map((m) => m.rcpt)).toEqual([['soc@example.org']]);
    expect(log.join('\n')).toMatch(/mail sent to soc@example\.org; the SMTP server refused gone@example\.org: portdelta: /);
  });

  test('with a user, a server that offers no STARTTLS gets no login: the delivery fails and says why', async () => {
    const logins: string[] = [];
    smtp = await startSmtp({ onAuth: (auth, _session, cb) => (logins.push(auth.username ?? ''), cb(null, { user: auth.username })) });
    const p = email.deliver(batchOf(asReportChanges(rows)), options({ to: 'soc@example.org' }), deps(smtp.port, [], { user: 'portdelta', password: 'pw' }));
    await expect(p).rejects.toMatchObject({ code: 'DELIVERY' });
    await expect(p).rejects.toThrow(/sending through 127\.0\.0\.1:\d+ failed: the server did not switch to TLS \(STARTTLS answered: .*\), so the login for portdelta was not sent; /);
    expect(logins).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
  });

  test('with starttls: false (a relay on loopback) it logs in without TLS and sends', async () => {
    const logins: string[] = [];
    smtp = await startSmtp({ onAuth: (auth, _session, cb) => (logins.push(`${auth.username}:${auth.password}`), cb(null, { user: auth.username })) });
    await email.deliver(batchOf(asReportChanges(rows)), options({ to: 'soc@example.org' }), deps(smtp.port, [], { user: 'portdelta', password: 'pw', starttls: false }));
    expect(logins).toEqual(['portdelta:pw']);
    expect(smtp.messages.map((m) => m.rcpt)).toEqual([['soc@example.org']]);
  });

  test('fails clearly when no SMTP server listens', async () => {
    const port = await closedPort();
    const p = email.deliver(batchOf(asReportChanges(rows)), options({ to: 'soc@example.org' }), deps(port));
    await expect(p).rejects.toThrow(new RegExp(`sending through 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
  });

  test('hostile hostnames from a uniform CSV scan reach the mail escaped and add no header nor recipient', async () => {
    smtp = await startSmtp();
    const names = HOSTILE.slice(0, 5);
    const file = scratch.write('hostile.csv', csvText({
      scanner: 'hx', started: '2026-01-01T02:00:00Z', scope: '10.9.0.0/24', ports: 'tcp:1-1024',
      rows: names.map((n, i) => `10.9.0.${i + 1},tcp,80,open,"${n}",`),
    }));
    const hostile = await ingestAndList(url, file, 'hx');
    expect(hostile.map((c) => c.hostname)).toEqual([...names, ...names]);
    const changes = asReportChanges(hostile);
    await email.deliver(batchOf(changes), options({ to: 'soc@example.org', subject: 'new on {{#each hosts}}{{hostnames}} {{/each}}' }), deps(smtp.port));

    const [m] = smtp.messages;
    expect(m.rcpt).toEqual(['soc@example.org']);
    expect(m.mail.headers.has('bcc')).toBe(false);
    const head = m.raw.slice(0, m.raw.search(/\r?\n\r?\n/));
    expect(head).not.toMatch(/^bcc:/im);
    expect(m.mail.subject).toContain('x\\x0d\\x0aBcc: evil@example.org');
    expect(m.mail.subject).not.toMatch(/[\r\n]/);
    expectEveryChange(m.mail.text!, m.mail.html as string, changes);
    expect(m.mail.html).not.toContain('<script>');
    expect(m.mail.html).toContain(htmlEscape('<script>alert(1)</script>'));
    expect(m.mail.text).toContain('$(touch pwned)');
    expect(fs.existsSync(path.join(ROOT, 'pwned'))).toBe(false);
  });
});
