// The syslog kind against real receivers on 127.0.0.1 (UDP, TCP, TLS with a test CA made by
// openssl), on both databases: every RFC 5424 field of every message and every CEF, ECS, OCSF and
// JSON body field against `portdelta changes --json`; hostile names (control characters, CEF's
// separators | = \, STRUCTURED-DATA's ] and ", line breaks); a policy's verdict; a receiver with
// a certificate of the wrong CA refused, then the right CA delivering each change once.
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { describeChange } from '../../common/describe';
import { safeText } from '../../common/safe-text';
import type { ChangeRow } from '../../common/types';
import { cliJson, FIXTURES } from '../helpers/cli';
import { csvText } from '../helpers/csv-scan';
import { forEachDb } from '../helpers/db';
import { missingTool, testUnless } from '../helpers/needs';
import { ReportLab } from '../helpers/report';
import { parse5424, parseCef, startSyslog, type SyslogReceiver, type Syslog5424 } from '../helpers/syslog';
import { cefShown, SD_ID } from '../helpers/syslog-harness';
import { makeTestPki, type TestPki } from '../helpers/tls';
import { sendSyslog } from '../../output-agents/syslog-transport';
import { syslogAgent } from '../../output-agents/syslog';

const noOpenssl = missingTool('openssl', 'version');
const HOSTILE = ['night1.csv', 'night2.csv'].map((f) => `${FIXTURES}/hostile/${f}`);
const SEPARATORS = 'sep|pipe=eq\\back]brack "q"\nnext';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LOCAL4 = 20;

const APPEARING = ['new_host', 'new_port', 'port_reopened', 'all_ports_answer'];
/** The policy below: tcp/22 allowed on 127.0.20.0/30, so port 8080 opening there breaks it. */
const covered = (c: ChangeRow) => /^127\.0\.20\.[0-3]$/.test(c.ip ?? '');
const verdictOf = (c: ChangeRow) => (covered(c) && c.port !== null && (c.types.includes('new_port') || c.types.includes('port_reopened')) ? 'unexpected' : covered(c) && c.port !== null ? 'expected' : 'none');
const severityOf = (c: ChangeRow) => (verdictOf(c) === 'unexpected' ? 4 : c.types.some((t) => APPEARING.includes(t)) ? 5 : 6);
const actionOf = (c: ChangeRow) => (c.port === null ? c.types[0] : (c.types.find((t) => t !== 'new_host' && t !== 'host_down') ?? c.types[0]));

async function received(rx: SyslogReceiver, n: number): Promise<Syslog5424[]> {
  // UDP: the datagrams may still be on their way when report returns.
  for (let i = 0; i < 100 && rx.raw.length < n; i++) await new Promise((r) => setTimeout(r, 50));
  return rx.raw.map(parse5424);
}

/** The RFC 5424 header and STRUCTURED-DATA every message has, whatever its body. */
function expectHeader(m: Syslog5424, c: ChangeRow): void {
  expect({ version: m.version, facility: m.facility, severity: m.severity, hostname: m.hostname, appName: m.appName, msgId: m.msgId, bom: m.bom }).toEqual({
    version: 1, facility: LOCAL4, severity: severityOf(c), hostname: 'pd-test', appName: 'portdelta', msgId: actionOf(c), bom: true,
  });
  expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(m.procId).toMatch(/^\d+$/);
  expect(m.sd.origin).toEqual({ software: 'portdelta', swVersion: '0.1.0' });
  expect(m.sd[SD_ID]).toEqual({ eventId: expect.stringMatching(UUID), changeIds: String(c.id), scanner: c.scanner, verdict: verdictOf(c) });
}

const byChange = (ms: Syslog5424[]) => new Map(ms.map((m) => [Number(m.sd[SD_ID].changeIds), m]));

forEachDb('syslog output agent', (db) => {
  let lab: ReportLab;
  let all: ChangeRow[];
  let extra: object;
  let pki: TestPki | undefined;
  const receivers: SyslogReceiver[] = [];
  const start = async (t: 'udp' | 'tcp' | 'tls') => {
    const rx = await startSyslog(t, pki);
    receivers.push(rx);
    return rx;
  };
  const agent = (name: string, rx: SyslogReceiver, more: object) => ({ name, kind: 'syslog', host: '127.0.0.1', port: rx.port, hostname: 'pd-test', facility: 'local4', ...more });

  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    const policy = lab.scratch.write('policy.yaml', 'rules:\n  - {network: 127.0.20.0/30, proto: tcp, ports: 22, action: allow, owner: "net|team=a\\\\b"}\n');
    extra = { policy };
    const config = lab.config([], { hx: {}, 'hx-v6': {} }, extra);
    await cliJson(['--db', lab.db, '--config', config, 'ingest', '--scanner', 'hx', ...HOSTILE]);
    const v6 = lab.scratch.write('v6.csv', csvText({ started: '2026-11-23T09:00:00Z', scope: '::1/128', ports: 'tcp:443', rows: [`::1,tcp,443,open,"${SEPARATORS.replace(/"/g, '""')}",`] }));
    await cliJson(['--db', lab.db, '--config', config, 'ingest', '--scanner', 'hx-v6', v6]);
    all = await lab.changes();
    if (!noOpenssl) pki = await makeTestPki();
  });
  afterEach(async () => {
    for (const rx of receivers.splice(0)) await rx.close();
  });
  afterAll(() => {
    lab.remove();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('UDP with CEF bodies: one datagram per change, every header, STRUCTURED-DATA and CEF field as the change has it', async () => {
    const rx = await start('udp');
    const r = await lab.report(lab.config([agent('udp-cef', rx, { transport: 'udp', format: 'cef' })], { hx: {}, 'hx-v6': {} }, extra));
    expect(r.stdout).toBe(`udp-cef (syslog): ${all.length} changes delivered\n`);
    const got = byChange(await received(rx, all.length));
    expect(rx.raw).toHaveLength(all.length);
    expect(all.some((c) => c.hostname === SEPARATORS)).toBe(true);
    for (const c of all) {
      const m = got.get(c.id)!;
      expectHeader(m, c);
      const { header, ext } = parseCef(m.msg);
      const v6 = c.ip?.includes(':');
      // The header has no escape for a line break: there it is \x0d\x0a text like every other control character.
      const owner = covered(c) ? 'net|team=a\\b' : undefined;
      expect(header).toEqual(['CEF:0', 'portdelta', 'portdelta', '0.1.0', actionOf(c), safeText(describeChange(c)), String({ 4: 7, 5: 5, 6: 3 }[severityOf(c)])]);
      expect(ext).toEqual(JSON.parse(JSON.stringify({
        rt: String(Date.parse(c.detected_at)), externalId: m.sd[SD_ID].eventId, cat: actionOf(c), msg: cefShown(describeChange(c)), deviceExternalId: c.scanner,
        dst: v6 ? undefined : c.ip, c6a3: v6 ? c.ip : undefined, c6a3Label: v6 ? 'Destination IPv6 Address' : undefined,
        dpt: c.port === null ? undefined : String(c.port), proto: c.proto?.toUpperCase(), dhost: cefShown(c.hostname),
        cn1: String(c.id), cn1Label: 'changeId', cs1: verdictOf(c), cs1Label: 'policyVerdict', cs2: owner, cs2Label: owner && 'policyOwner',
        cs3: c.group ?? undefined, cs3Label: c.group ? 'scannerGroup' : undefined, cs4: cefShown(c.previous_hostname), cs4Label: c.previous_hostname === null ? undefined : 'previousHostname',
        cs5: c.types.join(','), cs5Label: 'changeTypes',
      })));
    }
  });

  test('TCP with ECS bodies: octet-counted frames; the event id is the same whoever sends the change, and the names are exact', async () => {
    const [ecsRx, cefRx] = [await start('tcp'), await start('tcp')];
    const agents = [agent('tcp-ecs', ecsRx, { transport: 'tcp', format: 'ecs' }), agent('tcp-cef', cefRx, { transport: 'tcp', format: 'cef' })];
    expect((await lab.report(lab.config(agents, { hx: {}, 'hx-v6': {} }, extra))).code).toBe(0);
    expect([ecsRx.problems, cefRx.problems]).toEqual([[], []]);
    const ecs = byChange(await received(ecsRx, all.length));
    const cef = byChange(await received(cefRx, all.length));
    for (const c of all) {
      const m = ecs.get(c.id)!;
      expectHeader(m, c);
      expect(m.sd[SD_ID].eventId).toBe(cef.get(c.id)!.sd[SD_ID].eventId);
      const doc = JSON.parse(m.msg);
      expect(doc).toMatchObject({
        '@timestamp': c.detected_at,
        message: describeChange(c),
        event: { id: m.sd[SD_ID].eventId, action: actionOf(c), kind: verdictOf(c) === 'unexpected' ? 'alert' : 'event', severity: severityOf(c), provider: 'tcp-ecs', dataset: 'portdelta.change' },
        observer: { name: c.scanner, type: 'scanner', product: 'portdelta' },
        destination: { ip: c.ip, ...(c.port === null ? {} : { port: c.port }), ...(c.hostname ? { domain: c.hostname } : {}) },
        portdelta: { change_id: c.id, types: c.types, scanner_group: c.group, previous_hostname: c.previous_hostname, policy: { verdict: verdictOf(c) } },
      });
      expect(doc.event.category).toEqual([c.port === null ? 'host' : 'network']);
      if (c.proto) expect(doc.network).toEqual({ transport: c.proto, type: c.ip!.includes(':') ? 'ipv6' : 'ipv4' });
    }
  });

  testUnless(noOpenssl, 'TLS: a certificate of another CA is refused and nothing counts as sent; with the right CA each change arrives once, as an OCSF Detection Finding', async () => {
    const rx = await start('tls');
    const scanners = { hx: {}, 'hx-v6': {} };
    const wrong = lab.config([agent('tls-ocsf', rx, { transport: 'tls', format: 'ocsf', ca_file: pki!.otherCaCert })], scanners, extra);
    const failed = await lab.reportJson(wrong);
    expect(failed.results[0]).toMatchObject({ status: 'failed', delivered: 0, retry: all.length, remedy: expect.stringMatching(/as ca_file/) });
    expect(rx.raw).toEqual([]);

    const right = lab.config([agent('tls-ocsf', rx, { transport: 'tls', format: 'ocsf', ca_file: pki!.caCert })], scanners, extra);
    expect((await lab.report(right)).stdout).toBe(`tls-ocsf (syslog): ${all.length} changes delivered\n`);
    expect((await lab.report(right)).stdout).toBe('tls-ocsf (syslog): nothing new\n');
    const got = await received(rx, all.length);
    expect(got.map((m) => Number(m.sd[SD_ID].changeIds)).sort((a, b) => a - b)).toEqual(all.map((c) => c.id).sort((a, b) => a - b));
    const byId = byChange(got);
    for (const c of all) {
      const m = byId.get(c.id)!;
      expectHeader(m, c);
      const f = JSON.parse(m.msg);
      expect(f).toMatchObject({
        class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, time: Date.parse(c.detected_at), message: describeChange(c),
        severity_id: { 4: 3, 5: 2, 6: 1 }[severityOf(c)],
        metadata: { uid: m.sd[SD_ID].eventId, product: { name: 'portdelta' } },
        finding_info: { uid: m.sd[SD_ID].eventId, types: [actionOf(c)] },
        unmapped: { portdelta: { change_id: c.id, scanner: c.scanner, policy: { verdict: verdictOf(c) } } },
      });
      expect(f.evidences[0].src_endpoint).toEqual({ name: c.scanner, type_id: 99, type: 'Scanner' });
      expect(f.is_alert).toBe(verdictOf(c) === 'unexpected');
      expect(f.evidences[0].verdict_id).toBe({ unexpected: 8, expected: 5, none: 0 }[verdictOf(c)]);
      expect(f.evidences[0].dst_endpoint).toEqual({ ip: c.ip, port: c.port ?? undefined, ...(c.hostname ? { hostname: c.hostname } : {}) });
    }
  });

  testUnless(noOpenssl, 'TLS with JSON bodies: portdelta\'s own change record, exactly as `changes --json` has it', async () => {
    const rx = await start('tls');
    const config = lab.config([agent('tls-json', rx, { transport: 'tls', format: 'json', ca_file: pki!.caCert })], { hx: {}, 'hx-v6': {} }, extra);
    expect((await lab.report(config)).code).toBe(0);
    const got = byChange(await received(rx, all.length));
    for (const c of all) expect(JSON.parse(got.get(c.id)!.msg)).toMatchObject(c);
  });
});

test('TCP: a receiver that resets the connection once the messages arrive has not taken them: the send fails', async () => {
  // A receiver that crashed or refused the session: it reads the first bytes, then answers with a reset.
  const srv = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const peer = { host: '127.0.0.1', port: (srv.address() as AddressInfo).port, transport: 'tcp' as const, timeoutMs: 5000 };
    await expect(sendSyslog(peer, ['<134>1 - - - - - - a', '<134>1 - - - - - - b'])).rejects.toMatchObject({ code: 'ECONNRESET' });
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
});

test('TCP: a receiver that reads everything and closes its side has taken the messages: the send succeeds', async () => {
  const got: Buffer[] = [];
  const srv = net.createServer((s) => s.on('data', (d) => got.push(d)));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const peer = { host: '127.0.0.1', port: (srv.address() as AddressInfo).port, transport: 'tcp' as const, timeoutMs: 5000 };
    await sendSyslog(peer, ['<134>1 - - - - - - a']);
    expect(Buffer.concat(got).toString()).toBe('20 <134>1 - - - - - - a');
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
});

test.each(['siem.example.org:6514', '[::1]', 'siem example', ''])('the host %j is refused when the configuration is read, with where the port goes', (host) => {
  expect(syslogAgent.parseOptions({ host }).errors).toEqual(['host: a host name or an IP address (without brackets; the port goes in port:)']);
});

test.each(['siem.example.org', '127.0.0.1', '::1', 'localhost'])('the host %j is taken', (host) => {
  expect(syslogAgent.parseOptions({ host }).errors).toBeUndefined();
});
