// nmap -sV --script ssl-cert run here, against services this test starts on 127.0.0.1 and ::1: an
// SSH banner whose version changes and a TLS server whose certificate is replaced between two
// scans. Each scan's real output is ingested on both databases; the second brings one
// service_changed and one cert_changed per address, with the values before and after.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { forEachDb } from '../helpers/db';
import { describeUnless, missingTool } from '../helpers/needs';
import { cliJson } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';

const run = promisify(execFile);
const skip = missingTool('nmap') ?? missingTool('openssl', 'version');
const ADDRESSES = ['127.0.0.1', '::1'] as const;

async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)];
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}.portdelta.test`]);
  return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

/** One night's services on both addresses, on the given ports (0: any free one). */
async function services(banner: string, pki: { cert: string; key: string }, ports: { ssh: number; tls: number }): Promise<{ ports: { ssh: number; tls: number }; close: () => Promise<void> }> {
  const servers: net.Server[] = [];
  const listen = async (s: net.Server, host: string, port: number) => {
    await new Promise<void>((ok, fail) => s.once('error', fail).listen({ host, port }, ok));
    servers.push(s);
    return (s.address() as net.AddressInfo).port;
  };
  for (const host of ADDRESSES) {
    ports.ssh = await listen(net.createServer((c) => { c.on('error', () => undefined); c.end(`SSH-2.0-${banner}\r\n`); }), host, ports.ssh);
    // answers whatever a probe sends with a small HTTP reply, so nmap's version scan ends quickly
    const answer = (c: tls.TLSSocket) => { c.on('error', () => undefined); c.once('data', () => c.end('HTTP/1.0 200 OK\r\nServer: portdelta-test\r\nContent-Length: 0\r\n\r\n')); };
    ports.tls = await listen(tls.createServer({ cert: pki.cert, key: pki.key }, answer), host, ports.tls);
  }
  const close = async () => { for (const s of servers) await new Promise((ok) => s.close(ok)); };
  return { ports, close };
}

async function nmap(out: string, host: string, ports: { ssh: number; tls: number }): Promise<void> {
  const family = host.includes(':') ? ['-6'] : [];
  await run('nmap', [...family, '-n', '-T4', '-sV', '--script', 'ssl-cert', '-p', `${ports.ssh},${ports.tls}`, '-oX', out, host], { timeout: 120_000 });
}

describeUnless(skip, 'nmap -sV --script ssl-cert on loopback, live', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-live-svc-'));
  const files: Record<string, string[]> = { '127.0.0.1': [], '::1': [] };
  let certs: X509Certificate[] = [];
  let ports = { ssh: 0, tls: 0 };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const pkis = [await selfSigned(dir, 'first'), await selfSigned(dir, 'second')];
    certs = pkis.map((p) => new X509Certificate(p.cert));
    for (const [n, banner] of ['OpenSSH_8.9p1', 'OpenSSH_9.6p1'].entries()) {
      const night = await services(banner, pkis[n], ports);
      ports = night.ports;
      try {
        for (const host of ADDRESSES) {
          const out = path.join(dir, `night${n + 1}-${host.replace(/:/g, '_')}.xml`);
          await nmap(out, host, ports);
          files[host].push(out);
        }
      } finally {
        await night.close();
      }
    }
  }, 300_000);

  forEachDb('the second scan of each address', (db) => {
    test('brings service_changed for the SSH port and cert_changed for the TLS port, with both values', async () => {
      const url = db.fresh();
      for (const host of ADDRESSES) await cliJson(['--db', url, 'ingest', '--scanner', host === '::1' ? 'live6' : 'live4', ...files[host]]);
      const rows = await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', 'service_changed,cert_changed']);
      const seen = rows.map((r) => [r.ip, r.port, r.types.join('+'), r.previous_service?.version ?? r.previous_cert?.subject, r.service?.version ?? r.cert?.subject]);
      expect(seen.sort()).toEqual(ADDRESSES.flatMap((ip) => [
        [ip, ports.ssh, 'service_changed', '8.9p1', '9.6p1'],
        [ip, ports.tls, 'cert_changed', 'CN=first.portdelta.test', 'CN=second.portdelta.test'],
      ]).sort());
      const sha = (c: X509Certificate) => c.fingerprint256.replace(/:/g, '').toLowerCase();
      for (const r of rows.filter((x) => x.port === ports.tls)) expect([r.previous_cert?.sha256, r.cert?.sha256]).toEqual(certs.map(sha));
    });
  });
});
