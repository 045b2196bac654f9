// `report` with email agents, end to end: lab-a nights ingested with the spawned CLI, `report`
// spawned with a config file, a real SMTP server (smtp-server) on loopback receiving the mail, the
// mail parsed back with mailparser. Each change of the agent's filter is in both parts once, under
// its host; nothing is mailed twice; a refusing or absent server leaves everything undelivered and
// the next run sends it; an agent with include_disagreements carries `disagreements --json`.
import type { ParsedMail } from 'mailparser';
import { openDb } from '../../db/connection';
import { CHANGE_TYPE_NAMES, type ChangeRow } from '../../common/types';
import type { Disagreement } from '../../common/types';
import { cliJson } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { ids, ReportLab } from '../helpers/report';
import { asReportChanges } from '../helpers/report-batch';
import { expectEveryChange, htmlEscape, when } from '../helpers/report-check';
import { closedPort, smtpReply, startSmtp, type Received, type TestSmtp } from '../helpers/smtp';

const SENDER = 'portdelta@example.org';
/** Both lab-a scanners in one group, so the group has disagreements to report. */
const GROUPED = { 'scan-in': { group: 'lab' }, 'scan-out': { group: 'lab' } };
const PORT_TYPES = ['new_port', 'port_closed', 'port_reopened'];

const addresses = (a: ParsedMail['to']): string[] => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address!));

/** The default subject, written from docs/output-agents.md: port events count under their port type. */
function subjectOf(rows: ChangeRow[], disagreements = 0): string {
  const counts = new Map<string, number>();
  for (const c of rows) {
    for (const t of c.types.filter((t) => (c.port === null) !== PORT_TYPES.includes(t))) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const summary = CHANGE_TYPE_NAMES.filter((t) => counts.has(t)).map((t) => `${counts.get(t)} ${t}`).join(', ');
  const d = disagreements ? `, ${disagreements} scanner disagreement${disagreements === 1 ? '' : 's'}` : '';
  return `portdelta: ${rows.length} change${rows.length === 1 ? '' : 's'}${summary ? ` (${summary})` : ''}${d}`;
}

/** The mail holds exactly these changes: each in both parts under its host, and no other change line. */
function expectChanges(m: Received, rows: ChangeRow[]): void {
  expectEveryChange(m.mail.text!, m.mail.html as string, asReportChanges(rows));
  expect(m.mail.text!.split('\n').filter((l) => l.startsWith('  - ') && !/^ {2}- scan-(in|out): /.test(l))).toHaveLength(rows.length);
  expect((m.mail.html as string).split('<tr>\n').length - 1 - (m.mail.text!.match(/\(group lab\)/g)?.length ?? 0)).toBe(rows.length);
}

/** The agent's rows in the deliveries table, read directly. */
async function deliveryStatuses(url: string, agent: string): Promise<string[]> {
  const db = await openDb(url, { migrate: false });
  try {
    return (await db.knex('deliveries').where({ agent }).select('status')).map((r: { status: string }) => r.status);
  } finally {
    await db.close();
  }
}

interface Peer {
  port: number;
  close(): Promise<void>;
}

const FAILURES: Array<[string, () => Promise<Peer>, RegExp]> = [
  ['refuses every recipient (550)', () => startSmtp({ onRcptTo: (_a, _s, cb) => cb(smtpReply(550, 'No such mailbox here')) }), /RCPT TO answered: 550 No such mailbox here/],
  ['refuses the message (451)', () => startSmtp({
    onData: (stream, _s, cb) => {
      stream.resume();
      stream.on('end', () => cb(smtpReply(451, 'Try again later')));
    },
  }), /DATA answered: 451 Try again later/],
  ['is down (nothing listens on its port)', async () => ({ port: await closedPort(), close: async () => undefined }), /ECONNREFUSED/],
];

forEachDb('report: email agents and a real SMTP server', (db) => {
  let url: string;
  let lab: ReportLab;
  let smtp: TestSmtp;
  const mailConfig = (agents: object[], port = smtp.port) =>
    lab.config(agents, GROUPED, { smtp: { host: '127.0.0.1', port, from: SENDER, timeout: '20s' } });
  /** The mails the shared server received while `fn` ran. */
  async function received(fn: () => Promise<unknown>): Promise<Received[]> {
    const before = smtp.messages.length;
    await fn();
    return smtp.messages.slice(before);
  }

  beforeAll(async () => {
    url = db.fresh();
    lab = new ReportLab(url);
    smtp = await startSmtp();
    await lab.ingestLab(lab.config([], GROUPED), [1, 2]);
  });
  afterAll(async () => {
    await smtp.close();
    lab.remove();
  });

  test('one mail with every change of the filter, grouped by host; the next run mails nothing; after night 3 only its changes', async () => {
    const agent = { name: 'soc-mail', kind: 'email', scanners: ['scan-in'], to: ['soc@example.org', 'Net Ops <netops@example.org>'], cc: 'audit@example.org' };
    const config = mailConfig([agent]);
    const all = await lab.changes();
    const want = all.filter((c) => c.scanner === 'scan-in');
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(all.length);

    let r = { code: -1, stdout: '', stderr: '' };
    const [m, ...more] = await received(async () => (r = await lab.report(config)));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`soc-mail (email): ${want.length} changes delivered\n`);
    expect(more).toEqual([]);
    expect(m.from).toBe(SENDER);
    expect(m.rcpt).toEqual(['soc@example.org', 'netops@example.org', 'audit@example.org']);
    expect(addresses(m.mail.to)).toEqual(['soc@example.org', 'netops@example.org']);
    expect(addresses(m.mail.cc)).toEqual(['audit@example.org']);
    expect(m.mail.headers.has('bcc')).toBe(false);
    expect(m.mail.subject).toBe(subjectOf(want));
    expectChanges(m, want);
    expect(m.mail.text).not.toContain('Scanner groups that disagree');
    expect(await deliveryStatuses(url, 'soc-mail')).toEqual(want.map(() => 'delivered'));

    const connections = smtp.connections;
    const again = await received(async () => (r = await lab.report(config)));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('soc-mail (email): nothing new\n');
    expect(again).toEqual([]);
    expect(smtp.connections).toBe(connections);

    await lab.ingestLab(config, [3]);
    const added = (await lab.changes()).filter((c) => c.scanner === 'scan-in' && !ids(want).includes(c.id));
    expect(added.length).toBeGreaterThan(0);
    const [night3, ...extra] = await received(() => lab.report(config));
    expect(extra).toEqual([]);
    expect(night3.mail.subject).toBe(subjectOf(added));
    expectChanges(night3, added);
  });

  test.each(FAILURES)('when the SMTP server %s, report exits 2, nothing counts as delivered, and the next run sends it all once', async (what, start, answer) => {
    const name = `fail-${what.replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`;
    const agent = { name, kind: 'email', scanners: 'scan-out', to: 'soc@example.org' };
    const want = (await lab.changes()).filter((c) => c.scanner === 'scan-out');
    const peer = await start();
    try {
      const r = await lab.report(mailConfig([agent], peer.port));
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(new RegExp(`^${name} \\(email\\): FAILED: email agent ${name}: sending through 127\\.0\\.0\\.1:${peer.port} failed: .*; ${want.length} changes will be retried on the next run\\n  remedy: \\S.*\\n$`));
      expect(r.stdout).toMatch(answer);
    } finally {
      await peer.close();
    }
    expect(await deliveryStatuses(url, name)).toEqual([]);
    const dry = await lab.reportJson(mailConfig([agent]), ['--dry-run']);
    expect(ids(dry.results[0].would!)).toEqual(ids(want));

    const [m, ...more] = await received(async () => expect((await lab.report(mailConfig([agent]))).code).toBe(0));
    expect(more).toEqual([]);
    expect(m.rcpt).toEqual(['soc@example.org']);
    expectChanges(m, want);
    expect(await deliveryStatuses(url, name)).toEqual(want.map(() => 'delivered'));
    expect(await received(() => lab.report(mailConfig([agent])))).toEqual([]);
  });

  test('an agent with include_disagreements mails the group disagreements as `disagreements --json` lists them', async () => {
    const agent = { name: 'lab-mail', kind: 'email', types: 'new_host', to: 'netops@example.org', include_disagreements: true };
    const config = mailConfig([agent]);
    const want = await cliJson<Disagreement[]>(['--db', url, '--config', config, 'disagreements']);
    expect(want.length).toBeGreaterThan(0);
    const rows = (await lab.changes()).filter((c) => c.types.includes('new_host'));

    const [m] = await received(() => lab.report(config));
    expect(m.mail.subject).toBe(subjectOf(rows, want.length));
    expectChanges(m, rows);
    const text = m.mail.text!;
    const section = text.slice(text.indexOf(`Scanner groups that disagree (${want.length})\n`));
    expect(section.length).toBeLessThan(text.length);
    expect(section.match(/\(group lab\)/g)).toHaveLength(want.length);
    for (const d of want) {
      const where = `${d.ip}:${d.port}/${d.proto}`;
      const views = d.views.map((v) => `  - ${v.scanner}: ${v.view} (scan ${when(v.scan_time)})`);
      expect(section).toContain(`\n${where}${d.hostname ? `  ${d.hostname}` : ''}  (group ${d.group})\n${views.join('\n')}\n`);
      const cells = [d.group, where, d.hostname ? htmlEscape(d.hostname) : '', d.views.map((v) => `${v.scanner}: ${v.view} (scan ${when(v.scan_time)})`).join('<br>')];
      expect(m.mail.html).toContain(`<tr>\n${cells.map((c) => `<td>${c}</td>`).join('\n')}\n</tr>`);
    }
  });
});
