// A scanner's first applied scan is its baseline (DESIGN §3): its changes are stored marked
// `baseline`, and output agents deliver them as one summary per scanner unless include_baseline.
// Real lab-a nmap nights, the spawned CLI, a real SMTP server on loopback, both databases.
import path from 'node:path';
import { openDb } from '../../db/connection';
import type { ChangeRow } from '../../common/types';
import { cli, cliJson } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { ids, jsonl, LAB, ReportLab } from '../helpers/report';
import { startSmtp, type TestSmtp } from '../helpers/smtp';

const SENDER = 'portdelta@example.org';

/** What a baseline summary must say, worked out from `changes --json`: host events with new_host, port events with new_port. */
function expectedBaseline(rows: ChangeRow[], scanner: string): { hosts_up: number; open_ports: number; changes: number } {
  const mine = rows.filter((r) => r.scanner === scanner && r.baseline);
  return {
    hosts_up: mine.filter((r) => r.port === null && r.types.includes('new_host')).length,
    open_ports: mine.filter((r) => r.port !== null && r.types.includes('new_port')).length,
    changes: mine.length,
  };
}

const line = (scanner: string, b: { hosts_up: number; open_ports: number }) =>
  `baseline of ${scanner}: ${b.hosts_up.toLocaleString('en-US')} host${b.hosts_up === 1 ? '' : 's'} up, ${b.open_ports.toLocaleString('en-US')} open port${b.open_ports === 1 ? '' : 's'}`;

const nightFiles = (n: number, scanner: string) => ['tcp', 'udp'].map((p) => path.join(LAB, `night${n}`, scanner, `nmap-${p}.xml`));

/** The agent's delivery rows by status, read directly. */
async function statuses(url: string, agent: string): Promise<Record<string, number>> {
  const db = await openDb(url, { migrate: false });
  try {
    const rows = await db.knex('deliveries').where({ agent }).select('status');
    return rows.reduce((m: Record<string, number>, r: { status: string }) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  } finally {
    await db.close();
  }
}

forEachDb('baseline: the first scan of a scanner is one summary, not every change', (db) => {
  let url: string;
  let lab: ReportLab;
  let smtp: TestSmtp;
  let night1: ChangeRow[];
  const smtpSection = () => ({ smtp: { host: '127.0.0.1', port: smtp.port, from: SENDER, timeout: '20s' } });
  const mailAgent = { name: 'soc-mail', kind: 'email', to: ['soc@example.org'], include_baseline: false };
  const every = () => ({ name: 'every', kind: 'file', path: lab.path('every.jsonl'), include_baseline: true });
  const summary = () => ({ name: 'siem', kind: 'file', path: lab.path('siem.jsonl'), include_baseline: false });
  const hook = () => ({ name: 'enrich', kind: 'hook', command: lab.hookCommand('ok', '{{scanner}}', '{{ip}}'), include_baseline: false });
  const config = () => lab.config([mailAgent, every(), summary(), hook()], undefined, smtpSection());

  beforeAll(async () => {
    url = db.fresh();
    lab = new ReportLab(url);
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    lab.remove();
  });

  test('the first night is stored as baseline: ingest says so and changes --json marks every change', async () => {
    const summaries = await cliJson<Array<{ baseline: boolean; scanner: string }>>(['--db', url, '--config', config(), 'ingest', '--scanner', 'scan-in', ...nightFiles(1, 'scan-in')]);
    // Both files of the first night belong to the first applied scan only: the UDP file is the scanner's second scan.
    expect(summaries.map((s) => s.baseline)).toEqual([true, false]);
    await lab.ingest(config(), '--scanner', 'scan-out', ...nightFiles(1, 'scan-out'));
    night1 = await lab.changes();
    const firstScans = new Set(night1.filter((r) => r.baseline).map((r) => r.scan_id));
    expect(firstScans.size).toBe(2);
    expect(night1.filter((r) => r.baseline).length).toBeGreaterThan(30);
    const text = await cli(['--db', url, '--config', config(), 'ingest', '--scanner', 'scan-x', nightFiles(1, 'scan-in')[0]]);
    expect(text.stdout).toContain('(baseline: the first scan of this scanner)');
    await cli(['--db', url, 'cleanup', '--scanner', 'scan-x']);
  });

  test('a mail agent sends one mail: a summary line per scanner with the counts of its baseline, no change lines', async () => {
    const before = smtp.messages.length;
    const r = await lab.reportJson(config());
    expect(r.code).toBe(0);
    const mails = smtp.messages.slice(before);
    expect(mails).toHaveLength(1);
    const text = mails[0].mail.text!;
    for (const scanner of ['scan-in', 'scan-out']) {
      const want = expectedBaseline(night1, scanner);
      expect(want.hosts_up).toBeGreaterThan(0);
      expect(text).toContain(`${line(scanner, want)}; \`portdelta state --scanner ${scanner}\` lists them`);
      expect(mails[0].mail.html).toContain(line(scanner, want));
    }
    // The non-baseline changes of night 1 (the UDP files) are listed one by one; no baseline change is.
    const listed = night1.filter((c) => !c.baseline);
    expect(text.split('\n').filter((l) => l.startsWith('  - ') && !l.includes('baseline of'))).toHaveLength(listed.length);
    const res = r.results.find((x) => x.agent === 'soc-mail')!;
    expect(res.baseline).toBe(night1.filter((c) => c.baseline).length);
    expect(res.delivered).toBe(listed.length);
    // Claimed and delivered once, so nothing goes out again.
    expect(await statuses(url, 'soc-mail')).toEqual({ delivered: night1.length });
    const again = smtp.messages.length;
    await lab.reportJson(config());
    expect(smtp.messages.length).toBe(again);
  });

  test('include_baseline: true gets every change, marked baseline; jsonl and a per-change hook get one summary record per scanner', async () => {
    expect(ids(jsonl(lab.path('every.jsonl')))).toEqual(ids(night1));
    expect(jsonl(lab.path('every.jsonl')).filter((c) => c.baseline).length).toBe(night1.filter((c) => c.baseline).length);

    const records = jsonl(lab.path('siem.jsonl')) as unknown as Array<Record<string, unknown>>;
    const summaries = records.filter((r) => r.baseline === true);
    expect(summaries.map((s) => s.scanner)).toEqual(['scan-in', 'scan-out']);
    for (const s of summaries) {
      expect(s).toMatchObject({ ...expectedBaseline(night1, s.scanner as string), command: `portdelta state --scanner ${s.scanner}` });
      expect(s).not.toHaveProperty('change_ids');
    }
    expect(records.filter((r) => r.baseline !== true).map((r) => r.id)).toEqual(ids(night1.filter((c) => !c.baseline)));

    const calls = lab.hookCalls().filter((c) => c.env.PORTDELTA_BASELINE === '1');
    expect(calls.map((c) => c.args[0]).sort()).toEqual(['scan-in', 'scan-out']);
    for (const c of calls) {
      expect(c.args[1]).toBe('');
      expect(c.stdin).toMatchObject({ baseline: true, scanner: c.args[0], ...expectedBaseline(night1, c.args[0]) });
    }
    expect(lab.hookCalls().length).toBe(2 + night1.filter((c) => !c.baseline).length);
  });

  test('the second night is not baseline and is reported change by change', async () => {
    await lab.ingestLab(config(), [2]);
    const night2 = (await lab.changes()).filter((c) => !night1.some((o) => o.id === c.id));
    expect(night2.length).toBeGreaterThan(0);
    expect(night2.every((c) => !c.baseline)).toBe(true);
    const before = smtp.messages.length;
    await lab.reportJson(config());
    const [m] = smtp.messages.slice(before);
    expect(m.mail.subject).toMatch(new RegExp(`^portdelta: ${night2.length} changes`));
    expect(m.mail.text).not.toContain('baseline of');
  });

  test('a scanner added later gets its own baseline summary', async () => {
    await lab.ingest(config(), '--scanner', 'scan-late', ...nightFiles(3, 'scan-in'));
    const late = (await lab.changes()).filter((c) => c.scanner === 'scan-late');
    expect(late.filter((c) => c.baseline).length).toBeGreaterThan(0);
    const before = smtp.messages.length;
    await lab.reportJson(config());
    const [m] = smtp.messages.slice(before);
    expect(m.mail.subject).toContain('baseline of scan-late');
    expect(m.mail.text).toContain(line('scan-late', expectedBaseline(late, 'scan-late')));
    expect(m.mail.text).not.toContain('baseline of scan-in');

    // A new agent whose `since` lies after the first scans of the old scanners gets only the new scanner's baseline.
    const since = late.find((c) => c.baseline)!.detected_at;
    expect(night1.every((c) => c.detected_at < since)).toBe(true);
    const newAgent = { name: 'late-siem', kind: 'file', path: lab.path('late.jsonl'), include_baseline: false, since };
    await lab.reportJson(lab.config([newAgent], undefined, smtpSection()));
    const records = jsonl(lab.path('late.jsonl')) as unknown as Array<Record<string, unknown>>;
    expect(records.filter((r) => r.baseline === true)).toEqual([expect.objectContaining({ scanner: 'scan-late', ...expectedBaseline(late, 'scan-late') })]);
    expect(records.filter((r) => r.baseline !== true).map((r) => r.id)).toEqual(ids(late.filter((c) => !c.baseline)));
  });
});

forEachDb('baseline: a database from before the baseline column', (db) => {
  test('migrating marks the changes of each scanner\'s first applied scan, and only those', async () => {
    const url = db.fresh();
    const lab = new ReportLab(url);
    try {
      await lab.ingestLab(lab.config([]), [1, 2]);
      const before = await lab.changes();
      const handle = await openDb(url, { migrate: false });
      try {
        await handle.knex('changes').update({ baseline: 0 });
        await handle.knex('knex_migrations').where('name', '005_baseline').del();
        await handle.knex.schema.alterTable('deliveries', (t) => t.dropColumn('unlisted'));
        await handle.knex.schema.alterTable('changes', (t) => t.dropColumn('baseline'));
      } finally {
        await handle.close();
      }
      await cli(['--db', url, 'migrate']);
      const after = await lab.changes();
      expect(after.map((c) => [c.id, c.baseline])).toEqual(before.map((c) => [c.id, c.baseline]));
      expect(after.filter((c) => c.baseline).length).toBeGreaterThan(0);
    } finally {
      lab.remove();
    }
  });
});
