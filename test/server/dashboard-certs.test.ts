// The Host and Port pages show a port's probed service and its current TLS certificate with its
// expiry, over real HTTP on both databases; a certificate's subject and issuer are text, never markup.
import { forEachDb } from '../helpers/db';
import { serveInProcess, ingestHere, type InProcess } from '../helpers/serve';
import { LAB_YAML, TOK_READ } from '../helpers/served-lab';
import { fetchWithHeaders } from '../helpers/dashboard';
import { Scratch } from '../helpers/csv-scan';
import { nmapXmlText } from '../helpers/nmap-xml-scan';
import { crt, svc } from '../helpers/classify-table';

const EVIL = '<script>alert(1)</script>';
const IP = '10.9.1.7';

forEachDb('the dashboard shows services and certificates', (tdb) => {
  let s: InProcess;
  const scratch = new Scratch();
  const page = async (p: string) => {
    const r = await fetchWithHeaders(`${s.url}${p}`, { headers: { Authorization: `Bearer ${TOK_READ}` } });
    expect(r.status).toBe(200);
    return r.text;
  };

  beforeAll(async () => {
    s = await serveInProcess(tdb.fresh(), LAB_YAML);
    const cert = { ...crt('c'), subject: `CN=${EVIL}`, issuer: 'CN=Lab CA, O=<b>ops</b>', not_after: '2027-03-01T00:00:00.000Z' };
    const port = { port: 443, service: svc('1.25.3', { name: 'http', product: 'nginx', extrainfo: null, tunnel: 'ssl' }), cert };
    await ingestHere(s, scratch.write('certs.xml', nmapXmlText({ started: '2026-01-01T02:00:00Z', targets: IP, hosts: [{ ip: IP, ports: [port, { port: 80 }] }] })), 'web');
  });
  afterAll(async () => {
    await s?.stop();
    scratch.remove();
  });

  test('the Host page lists the service in words and the certificate with issuer and expiry, escaped', async () => {
    const html = await page(`/hosts/${IP}`);
    expect(html).toContain('<th>Certificate</th>');
    expect(html).toContain('nginx 1.25.3 (over ssl)');
    expect(html).toContain('CN=&lt;script&gt;alert(1)&lt;/script&gt;<br><small>issued by CN=Lab CA, O=&lt;b&gt;ops&lt;/b&gt;; expires 2027-03-01</small>');
    expect(html).not.toContain(EVIL);
  });

  test('the Port page shows the certificate of each host; a port without one has no certificate column', async () => {
    expect(await page('/ports/tcp/443')).toContain('expires 2027-03-01');
    expect(await page('/ports/tcp/80')).not.toContain('<th>Certificate</th>');
  });
});
