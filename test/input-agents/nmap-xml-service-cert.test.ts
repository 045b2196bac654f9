// The service fingerprint (nmap -sV) and the ssl-cert script's certificate as the nmap XML reader
// yields them: from the real fixtures of test/fixtures/made/service/, then from small documents
// for what nmap may also write (a SHA-256 element, an error instead of a certificate) and for
// hostile text (entities, control characters, oversized names), through to what the CLI prints.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { nmapXml } from '../../input-agents/nmap-xml';
import type { HostRecord, PortFact, ScanEvent } from '../../common/types';
import { ScanRejectedError } from '../../common/errors';
import { FIXTURES, cli, cliJson } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { Scratch } from '../helpers/csv-scan';
import { nmapXmlText } from '../helpers/nmap-xml-scan';
import { crt, svc } from '../helpers/classify-table';
import type { ChangeRow } from '../../common/types';

const DIR = path.join(FIXTURES, 'made/service');

async function ports(text: string | Buffer, chunk = 0): Promise<PortFact[]> {
  const buf = Buffer.from(text);
  const parts = chunk ? Array.from({ length: Math.ceil(buf.length / chunk) }, (_, i) => buf.subarray(i * chunk, (i + 1) * chunk)) : [buf];
  const out: ScanEvent[] = [];
  for await (const e of nmapXml.parse(Readable.from(parts), { source: 't.xml' })) out.push(e);
  return out.filter((e): e is HostRecord => e.kind === 'host').flatMap((h) => h.ports);
}
const fixture = (name: string) => fs.readFileSync(path.join(DIR, name));
const byPort = (list: PortFact[]) => new Map(list.map((p) => [p.port, p]));

describe('nmap-xml: service fingerprints and certificates in the real fixtures', () => {
  test('-sV gives every part of the fingerprint and how nmap knows it', async () => {
    const p = byPort(await ports(fixture('n1-v4.xml')));
    expect(p.get(42022)?.fingerprint).toEqual({ name: 'ssh', product: 'OpenSSH', version: '8.9p1 Ubuntu 3ubuntu0.6', extrainfo: 'Ubuntu Linux; protocol 2.0', tunnel: null, method: 'probed' });
    expect(p.get(42443)?.fingerprint).toMatchObject({ name: 'http', product: 'OpenSSL s_server -www httpd', tunnel: 'ssl', method: 'probed' });
    expect(p.get(8008)?.fingerprint?.version).toBe('1.24.0');
  });

  test('a guess (method="table", with -sV or without) is no fingerprint: only the service name stays', async () => {
    const guessed = byPort(await ports(fixture('n4-v6.xml'))).get(8008);
    expect([guessed?.service, guessed?.fingerprint]).toEqual(['http', undefined]);
    const sT = byPort(await ports(fixture('n3-v4.xml')));
    expect([...sT.values()].map((x) => [x.port, x.service, x.fingerprint, x.cert])).toEqual([
      [8008, 'http', undefined, undefined], [42022, undefined, undefined, undefined], [42080, undefined, undefined, undefined], [42443, undefined, undefined, undefined],
    ]);
  });

  test('the certificate equals what X.509 reads from the PEM nmap wrote, parsed whole or byte by byte', async () => {
    const text = fixture('n2-v6.xml');
    const pem = /<elem key="pem">([^<]+)<\/elem>/.exec(text.toString())![1].replace(/&#xa;/g, '\n').replace(/&#45;/g, '-');
    const x509 = new X509Certificate(pem);
    const cert = byPort(await ports(text)).get(42443)?.cert;
    expect(cert).toEqual({
      sha256: x509.fingerprint256.replace(/:/g, '').toLowerCase(), sha1: x509.fingerprint.replace(/:/g, '').toLowerCase(),
      subject: 'CN=new.portdelta.test, O=Portdelta Test', issuer: 'CN=new.portdelta.test, O=Portdelta Test',
      not_before: new Date(x509.validFrom).toISOString(), not_after: new Date(x509.validTo).toISOString(),
    });
    expect(await ports(text, 1)).toEqual(await ports(text));
  });
});

const doc = (script: string) => nmapXmlText({ started: '2026-01-01T02:00:00Z', targets: '10.9.1.1', hosts: [{ ip: '10.9.1.1', ports: [{ port: 443, service: svc('1') }] }] })
  .replace('conf="10"/>', `conf="10"/>${script}`);

describe('nmap-xml: ssl-cert script variants and hostile certificates', () => {
  test('a SHA-256 element (later nmap versions) is taken as written, colons and case normalised', async () => {
    const sha = 'AB:'.repeat(31) + 'AB';
    const [p] = await ports(doc(`<script id="ssl-cert" output=""><elem key="sha256">${sha}</elem><elem key="sha1">${'c'.repeat(40)}</elem></script>`));
    expect(p.cert?.sha256).toBe('ab'.repeat(32));
  });

  test('an ssl-cert script that reports an error, and another script\'s elems, give no certificate', async () => {
    const [a] = await ports(doc('<script id="ssl-cert" output="ERROR: Script execution failed"/>'));
    const [b] = await ports(doc(`<script id="other" output=""><elem key="sha1">${'d'.repeat(40)}</elem></script>`));
    expect([a.cert, b.cert]).toEqual([undefined, undefined]);
  });

  test('references in a name are decoded; an undefined entity rejects the file as hostile', async () => {
    const ok = doc(`<script id="ssl-cert" output=""><table key="subject"><elem key="commonName">a&amp;b&#x1b;&lt;i&gt;</elem></table><elem key="sha1">${'e'.repeat(40)}</elem></script>`);
    expect((await ports(ok))[0].cert?.subject).toBe('CN=a&b\u001b<i>');
    const bad = ok.replace('a&amp;b', 'a&xxe;b');
    await expect(ports(bad)).rejects.toThrow(ScanRejectedError);
    await expect(ports(bad)).rejects.toMatchObject({ code: 'HOSTILE_INPUT' });
  });

  test('an oversized subject is cut to a bounded length', async () => {
    const elems = Array.from({ length: 200 }, (_, i) => `<elem key="organizationalUnitName">unit ${i} ${'x'.repeat(40)}</elem>`).join('');
    const [p] = await ports(doc(`<script id="ssl-cert" output=""><table key="subject">${elems}</table><elem key="sha1">${'f'.repeat(40)}</elem></script>`));
    expect(p.cert!.subject.length).toBeLessThan(600);
    expect(p.cert!.subject.startsWith('OU=unit 0 ')).toBe(true);
  });
});

forEachDb('hostile certificate and service text shown by the CLI', (db) => {
  const scratch = new Scratch();
  afterAll(() => scratch.remove());

  test('JSON keeps the exact text; tables and words escape control characters', async () => {
    const url = db.fresh();
    const evil = { ...crt('b'), subject: 'CN=\u001b[31mred\u0007, O=<b>x</b>' };
    const nights = [[svc('1'), crt('a')], [svc('2\u001b[2J', { product: 'Evil\u202eSSH' }), evil]] as const;
    for (const [i, [service, cert]] of nights.entries()) {
      const file = scratch.write(`evil${i}.xml`, nmapXmlText({ started: `2026-01-0${i + 1}T02:00:00Z`, targets: '10.9.1.1', hosts: [{ ip: '10.9.1.1', ports: [{ port: 443, service, cert }] }] }));
      await cliJson(['--db', url, 'ingest', '--scanner', 'evil', file]);
    }
    const [row] = await cliJson<ChangeRow[]>(['--db', url, 'changes', '--type', '384']);
    expect(row.cert?.subject).toBe(evil.subject);
    expect(row.service?.product).toBe('Evil\u202eSSH');
    for (const args of [['changes'], ['state']]) {
      const out = (await cli(['--db', url, ...args])).stdout;
      expect([...out].filter((ch) => ['\u001b', '\u0007', '\u202e'].includes(ch))).toEqual([]);
      expect(out).toContain('\\x1b[31mred\\x07');
    }
  });
});
