// service_changed and cert_changed from real nmap 7.93 output (test/fixtures/made/service/, made by
// tools/make-service-fixtures.sh against loopback services on 127.0.0.1 and ::1): the changes with
// their values before and after, in JSON and in words; the state with the current service and
// certificate; audit --cert-expiry; the type filters. The certificates' fingerprints and validity
// are checked against Node's own X.509 reading of the PEM nmap wrote into the same file.
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { forEachDb } from '../helpers/db';
import { cli, cliJson, FIXTURES } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';
import type { StateRow } from '../../db/query-repo';

const DIR = path.join(FIXTURES, 'made/service');
const file = (night: number, family: 4 | 6) => path.join(DIR, `n${night}-v${family}.xml`);
const FAMILIES = [[4, '127.0.0.1'], [6, '::1']] as const;

/** The certificate nmap saw on port 42443 of a night, read from the PEM in the file. */
function pemCert(night: number, family: 4 | 6): X509Certificate {
  const xml = fs.readFileSync(file(night, family), 'utf8');
  const pem = /<elem key="pem">([^<]+)<\/elem>/.exec(xml)![1].replace(/&#xa;/g, '\n').replace(/&#45;/g, '-');
  return new X509Certificate(pem);
}

interface Ingested { status: string; changes: Record<string, number> }

async function ingestNights(url: string, nights: number[]): Promise<Ingested[]> {
  const out: Ingested[] = [];
  for (const [family] of FAMILIES) {
    for (const n of nights) out.push(...await cliJson<Ingested[]>(['--db', url, 'ingest', '--scanner', `loop${family}`, file(n, family)]));
  }
  return out;
}

const versions = (rows: ChangeRow[]) => rows.map((r) => [r.scanner, r.ip, r.port, r.previous_service?.product, r.previous_service?.version, r.service?.version]);

forEachDb('service and certificate changes from real nmap -sV --script ssl-cert output', (db) => {
  let url: string;
  let summaries: Ingested[];
  beforeAll(async () => {
    url = db.fresh();
    summaries = await ingestNights(url, [1, 2, 3, 4, 5]);
  }, 60_000);

  test('every night is applied; the -sT night and the night with a table guess report nothing', () => {
    expect(summaries.map((s) => s.status)).toEqual(Array(10).fill('applied'));
    const byNight = (n: number) => [summaries[n - 1], summaries[5 + n - 1]].map((s) => s.changes);
    expect(byNight(2)).toEqual([{ service_changed: 2, cert_changed: 1 }, { service_changed: 2, cert_changed: 1 }]);
    expect(byNight(3)).toEqual([{}, {}]);
    expect(byNight(4)).toEqual([{}, {}]);
    // 8008 compares with the last probe (nginx 1.24.0), not with night 4's guess
    expect(byNight(5)).toEqual([{ service_changed: 1 }, { service_changed: 1 }]);
  });

  test('changes --json carries the fingerprint before and after, on IPv4 and IPv6', async () => {
    const rows = await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', 'service_changed']);
    expect(sorted(versions(rows))).toEqual(sorted(FAMILIES.flatMap(([f, ip]) => [
      [`loop${f}`, ip, 42022, 'OpenSSH', '8.9p1 Ubuntu 3ubuntu0.6', '9.6p1 Ubuntu 3ubuntu13.5'],
      [`loop${f}`, ip, 42080, 'Apache httpd', '2.4.57', '2.4.58'],
      [`loop${f}`, ip, 8008, 'nginx', '1.24.0', '1.25.3'],
    ])));
    const ssh = rows.find((r) => r.port === 42022)!;
    expect(ssh).toMatchObject({ type: 128, types: ['service_changed'], cert: null, previous_cert: null });
    expect(ssh.service).toEqual({ name: 'ssh', product: 'OpenSSH', version: '9.6p1 Ubuntu 3ubuntu13.5', extrainfo: 'Ubuntu Linux; protocol 2.0', tunnel: null, method: 'probed' });
  });

  test('a certificate change carries subject, issuer, not-after and fingerprint before and after, as X.509 reads them', async () => {
    const rows = await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', '256']);
    expect(rows.map((r) => [r.scanner, r.port, r.types])).toEqual([['loop4', 42443, ['cert_changed']], ['loop6', 42443, ['cert_changed']]]);
    for (const [i, [family]] of FAMILIES.entries()) {
      const [before, after] = [pemCert(1, family), pemCert(2, family)];
      for (const [stored, x509] of [[rows[i].previous_cert!, before], [rows[i].cert!, after]] as const) {
        expect(stored.sha256).toBe(x509.fingerprint256.replace(/:/g, '').toLowerCase());
        expect(stored.sha1).toBe(x509.fingerprint.replace(/:/g, '').toLowerCase());
        expect(stored.not_after).toBe(new Date(x509.validTo).toISOString());
        expect(stored.subject).toBe(x509.subject.split('\n').join(', '));
        expect(stored.issuer).toBe(stored.subject); // self-signed
      }
      expect(rows[i].previous_cert!.subject).toBe('CN=old.portdelta.test, O=Portdelta Test');
    }
  });

  test('the changes in words: "before → after"', async () => {
    const out = (await cli(['--db', url, 'changes', '--scanner', 'loop4'])).stdout;
    expect(out).toContain('port 42022/tcp service changed: OpenSSH 8.9p1 Ubuntu 3ubuntu0.6 → OpenSSH 9.6p1 Ubuntu 3ubuntu13.5');
    expect(out).toContain('port 42080/tcp service changed: Apache httpd 2.4.57 → Apache httpd 2.4.58');
    expect(out).toMatch(/port 42443\/tcp TLS certificate changed: CN=old\.portdelta\.test, O=Portdelta Test, expires \d{4}-\d\d-\d\d \(sha256 [0-9a-f]{8}…\) → CN=new\.portdelta\.test/);
  });

  test('type filters: names, masks and combinations select exactly those changes', async () => {
    const ids = async (type: string) => (await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', type])).map((r) => r.id);
    const all = await cliJson<ChangeRow[]>(['--db', url, 'changes']);
    const having = (mask: number) => all.filter((r) => (r.type & mask) !== 0).map((r) => r.id);
    expect(await ids('service_changed,cert_changed')).toEqual(having(384));
    expect(await ids('384')).toEqual(having(384));
    expect(having(384)).toHaveLength(8);
    expect(await ids('new_port')).toEqual(having(8));
    expect(having(8).some((id) => having(384).includes(id))).toBe(false);
    const bad = await cli(['--db', url, 'changes', '--type', '4096']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('128 service_changed, 256 cert_changed')]);
  });

  test('state shows the current service and certificate, in JSON and in words', async () => {
    const rows = await cliJson<StateRow[]>(['--db', url, 'state', '--scanner', 'loop6']);
    const byPort = new Map(rows.map((r) => [r.port, r]));
    expect(byPort.get(8008)?.service?.version).toBe('1.25.3');
    expect(byPort.get(8008)?.cert).toBeNull();
    expect(byPort.get(42443)?.cert?.subject).toBe('CN=new.portdelta.test, O=Portdelta Test');
    expect(byPort.get(42443)?.service?.tunnel).toBe('ssl');
    const text = (await cli(['--db', url, 'state', '--scanner', 'loop4'])).stdout;
    expect(text.split('\n')[0]).toMatch(/SERVICE\s+CERTIFICATE$/);
    expect(text).toMatch(/42443\/tcp .* CN=new\.portdelta\.test, O=Portdelta Test, expires \d{4}-/);
    expect(text).toMatch(/42022\/tcp .* OpenSSH 9\.6p1 Ubuntu 3ubuntu13\.5 \(Ubuntu Linux; protocol 2\.0\)/);
  });
});

const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

forEachDb('audit --cert-expiry', (db) => {
  let url: string;
  const notAfter = (night: number) => new Date(pemCert(night, 4).validTo);
  const at = (night: number, days: number) => ({ env: { PORTDELTA_NOW: new Date(notAfter(night).getTime() + days * 86_400_000).toISOString() } });
  beforeAll(async () => {
    url = db.fresh();
    await ingestNights(url, [1]);
  });

  test('lists the certificates on open ports expiring within the window, soonest first, with days left', async () => {
    type Row = { ip: string; port: number; scanner: string; days_left: number; expired: boolean; cert: { subject: string; not_after: string } };
    const rows = await cliJson<Row[]>(['--db', url, 'audit', '--cert-expiry', '30d'], at(1, -1.5));
    expect(rows.map((r) => [r.scanner, r.ip, r.port, r.cert.subject, r.days_left, r.expired])).toEqual([
      // same expiry: then address order, ::1 before 127.0.0.1 (IPv4 sorts as ::ffff:0:0/96)
      ['loop6', '::1', 42443, 'CN=old.portdelta.test, O=Portdelta Test', 1, false],
      ['loop4', '127.0.0.1', 42443, 'CN=old.portdelta.test, O=Portdelta Test', 1, false],
    ]);
    expect(await cliJson(['--db', url, 'audit', '--cert-expiry', '1d'], at(1, -1.5))).toEqual([]);
  });

  test('an expired certificate is listed as expired; --exit-code says whether any was listed', async () => {
    const text = await cli(['--db', url, 'audit', '--cert-expiry', '7', '--exit-code'], at(1, 3));
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/127\.0\.0\.1\s+42443\/tcp\s+loop4\s+CN=old\.portdelta\.test, O=Portdelta Test\s+CN=old\.portdelta\.test, O=Portdelta Test\s+\S+\s+expired/);
    const none = await cli(['--db', url, 'audit', '--cert-expiry', '1d', '--exit-code'], at(1, -10));
    expect([none.code, none.stdout]).toEqual([0, 'no certificate on an open port expires within that time\n']);
  });

  test('after the certificate was replaced, the window finds the new one only when it reaches its expiry', async () => {
    await ingestNights(url, [2]);
    expect(await cliJson(['--db', url, 'audit', '--cert-expiry', '30d', '--scanner', 'loop4'], at(1, -1.5))).toEqual([]);
    const later = await cliJson<Array<{ cert: { subject: string } }>>(['--db', url, 'audit', '--cert-expiry', '30d', '--scanner', 'loop4'], at(2, -20));
    expect(later.map((r) => r.cert.subject)).toEqual(['CN=new.portdelta.test, O=Portdelta Test']);
  });

  test('a window that is not a duration is a usage error with the remedy', async () => {
    const bad = await cli(['--db', url, 'audit', '--cert-expiry', 'soon']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("--cert-expiry 'soon' is not a duration")]);
  });
});

forEachDb('cleanup takes a port\'s fingerprint and certificate with it', (db) => {
  test('--ip counts and deletes that address\'s facts; the other address keeps its own', async () => {
    const url = db.fresh();
    await ingestNights(url, [1]);
    const out = await cliJson<{ deleted: Record<string, number> }>(['--db', url, 'cleanup', '--ip', '::1']);
    expect(out.deleted).toMatchObject({ port_state: 4, port_facts: 4 });
    const left = await cliJson<StateRow[]>(['--db', url, 'state']);
    expect(left.map((r) => [r.ip, r.port, !!(r.service ?? r.cert)])).toEqual([8008, 42022, 42080, 42443].map((p) => ['127.0.0.1', p, true]));
  });
});
