// Reports of service and certificate changes from the real nmap fixtures (ingested on both
// databases): the words with before → after in both parts of the mail, the certificates' full
// fingerprints under the change, the overview counts, and a hook's variables.
import path from 'node:path';
import { renderReport } from '../../output-agents/render';
import type { ChangeRow } from '../../common/types';
import { forEachDb } from '../helpers/db';
import { cliJson, FIXTURES } from '../helpers/cli';
import { asReportChanges, batchOf } from '../helpers/report-batch';
import { inWords } from '../../output-agents/overview';
import { ReportLab } from '../helpers/report';

const night = (n: number) => path.join(FIXTURES, `made/service/n${n}-v4.xml`);

forEachDb('reports of service and certificate changes', (db) => {
  let rows: ChangeRow[];
  beforeAll(async () => {
    const url = db.fresh();
    await cliJson(['--db', url, 'ingest', '--scanner', 'loop4', night(1), night(2)]);
    rows = await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', 'service_changed,cert_changed']);
  });

  test('the text and HTML parts say before → after, and give the certificates\' fingerprints in full', () => {
    const changes = asReportChanges(rows);
    const r = renderReport(batchOf(changes));
    const cert = rows.find((c) => c.types.includes('cert_changed'))!;
    for (const part of [r.text, r.html]) {
      expect(part).toContain('service changed: OpenSSH 8.9p1 Ubuntu 3ubuntu0.6 → OpenSSH 9.6p1 Ubuntu 3ubuntu13.5');
      expect(part).toContain(`certificate sha256 ${cert.previous_cert!.sha256} → sha256 ${cert.cert!.sha256}`);
    }
    expect(r.text).toMatch(/TLS certificate changed: CN=old\.portdelta\.test, O=Portdelta Test, expires \S+ \(sha256 [0-9a-f]{8}…\) → CN=new\.portdelta\.test/);
    expect(inWords(changes)).toBe('2 service version changes, 1 TLS certificate change');
  });
});

forEachDb('a hook agent watching versions and certificates', (db) => {
  const lab = new ReportLab(db.fresh());
  afterAll(() => lab.remove());

  test('gets each service and certificate change with its values as JSON, PORTDELTA_* and placeholders', async () => {
    const config = lab.config([{ name: 'tls-watch', kind: 'hook', types: ['service_changed', 'cert_changed'], command: lab.hookCommand('ok', '{{cert_sha256}}', '{{service}}') }], { loop4: {} });
    await lab.ingest(config, '--scanner', 'loop4', night(1), night(2));
    expect((await lab.report(config)).code).toBe(0);
    const calls = lab.hookCalls().sort((a, b) => a.stdin.id - b.stdin.id);
    expect(calls.map((c) => c.stdin.types)).toEqual([['service_changed'], ['service_changed'], ['cert_changed']]);
    const [ssh, , tls] = calls;
    expect(ssh.env).toMatchObject({ PORTDELTA_SERVICE: 'OpenSSH 9.6p1 Ubuntu 3ubuntu13.5 (Ubuntu Linux; protocol 2.0)', PORTDELTA_PREVIOUS_SERVICE: 'OpenSSH 8.9p1 Ubuntu 3ubuntu0.6 (Ubuntu Linux; protocol 2.0)', PORTDELTA_CERT_SHA256: '' });
    expect(ssh.stdin.previous_service?.version).toBe('8.9p1 Ubuntu 3ubuntu0.6');
    expect(tls.env).toMatchObject({ PORTDELTA_CERT_SHA256: tls.stdin.cert!.sha256, PORTDELTA_PREVIOUS_CERT_SHA256: tls.stdin.previous_cert!.sha256, PORTDELTA_CERT_NOT_AFTER: tls.stdin.cert!.not_after });
    expect(tls.args).toEqual([tls.stdin.cert!.sha256, '']);
  });
});
