// Certificates from masscan: `masscan --banners` writes a TLS server's certificate as an "X509"
// banner (base64 DER). Real masscan -oJ output of two nights with different certificates
// (tools/make-masscan-cert-fixtures.sh) gives cert_changed on both databases, with the
// fingerprints of the PEM files the server used, worked out here from the PEM, not the banner.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cliJson, FIXTURES } from '../helpers/cli';
import { certFromBanner } from '../../input-agents/x509-banner';
import { ChangeType, type ChangeRow } from '../../common/types';
import type { StateRow } from '../../db/query-repo';

const DIR = path.join(FIXTURES, 'made/masscan-cert');
const SCOPE = ['--scope', '10.213.0.0/29', '--ports', '443'];

/** The SHA-256 of a PEM file's DER: what the banner's certificate must be. */
function pemSha256(file: string): string {
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(fs.readFileSync(path.join(DIR, file), 'utf8'))![1].replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
}

test('a banner that is not a certificate gives none', () => {
  expect(certFromBanner('TLS/1.1 cipher:0xc014')).toBeNull();
  expect(certFromBanner(Buffer.from('not a certificate').toString('base64'))).toBeNull();
  expect(certFromBanner('')).toBeNull();
});

forEachDb('certificates from masscan X509 banners', (tdb) => {
  test('two nights, two certificates: cert_changed with both, and state shows the second', async () => {
    const db = tdb.fresh();
    for (const n of [1, 2]) await cliJson(['--db', db, 'ingest', '--scanner', 'mcert', ...SCOPE, path.join(DIR, `night${n}.json`)]);
    const [one, two] = [pemSha256('night1-cert.pem'), pemSha256('night2-cert.pem')];
    expect(one).not.toBe(two);
    const changed = (await cliJson<ChangeRow[]>(['--db', db, 'changes'])).filter((c) => (c.type & ChangeType.cert_changed) !== 0);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ ip: '10.213.0.2', proto: 'tcp', port: 443 });
    expect(changed[0].previous_cert).toMatchObject({ sha256: one, subject: 'CN=tls1.lab-a.test, O=portdelta night 1' });
    expect(changed[0].cert).toMatchObject({ sha256: two, subject: 'CN=tls2.lab-a.test, O=portdelta night 2', issuer: 'CN=tls2.lab-a.test, O=portdelta night 2' });
    expect(Date.parse(changed[0].cert!.not_after!)).toBeGreaterThan(Date.parse(changed[0].previous_cert!.not_after!));
    const state = await cliJson<StateRow[]>(['--db', db, 'state']);
    expect(state.find((r) => r.port === 443)?.cert?.sha256).toBe(two);
  });
});
