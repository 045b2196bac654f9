// Every way a send fails, for every kind: a DeliveryError (code DELIVERY) whose remedy says what to
// do about that failure. Real peers: a folder, a loopback HTTP server, a program, an SMTP port.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DeliveryError } from '../../common/errors';
import { byKind } from '../../output-agents/registry';
import { smtpSchema } from '../../output-agents/smtp-settings';
import type { DeliveryDeps } from '../../output-agents/types';
import { Scratch } from '../helpers/csv-scan';
import { batchOf, hostileChanges } from '../helpers/report-batch';
import { closedPort } from '../helpers/smtp';

const scratch = new Scratch();
let server: http.Server;
let base: string;

beforeAll(async () => {
  // /status/N answers N; /silent never answers.
  server = http.createServer((req, res) => {
    req.resume();
    const status = /^\/status\/(\d+)$/.exec(req.url ?? '');
    if (!status) return;
    res.statusCode = Number(status[1]);
    res.setHeader('location', 'https://elsewhere.example/');
    res.end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  scratch.remove();
});

async function failure(kind: string, raw: () => Promise<Record<string, unknown>> | Record<string, unknown>, smtpPort?: number): Promise<DeliveryError> {
  const agent = byKind(kind)!;
  const parsed = agent.parseOptions(await raw(), { baseDir: scratch.dir });
  if (parsed.errors) throw new Error(parsed.errors.join('\n'));
  const deps: DeliveryDeps = {
    log: () => undefined,
    now: () => new Date('2026-01-02T03:04:05Z'),
    ...(smtpPort ? { smtp: smtpSchema.parse({ host: '127.0.0.1', port: smtpPort, from: 'portdelta@example.org' }) } : {}),
  };
  const err = await agent.deliver(batchOf(hostileChanges().slice(0, 3)), parsed.value, deps).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeliveryError);
  expect(err).toMatchObject({ code: 'DELIVERY' });
  return err as DeliveryError;
}

const hookScript = (exit: number) => {
  const file = scratch.write(`exit-${exit}.js`, `#!${process.execPath}\nprocess.stderr.write('no thanks\\n'); process.exit(${exit});\n`);
  fs.chmodSync(file, 0o755);
  return file;
};

test.each<[string, string, () => Promise<Record<string, unknown>> | Record<string, unknown>, RegExp, RegExp]>([
  ['file', 'its folder is missing', () => ({ path: 'no-such-folder/changes.jsonl' }), /^cannot open .*no-such-folder\/changes\.jsonl for appending: ENOENT/, /^create the folder .*no-such-folder /],
  ['file', 'its path is a folder', () => ({ path: '.' }), /for appending: EISDIR/, /is a folder: give a file name as path:/],
  ['webhook', 'the server refuses the token (401)', () => ({ url: `${base}/status/401` }), / answered 401 Unauthorized: no$/, /^check the credentials/],
  ['webhook', 'the server redirects (302)', () => ({ url: `${base}/status/302` }), / answered 302 Found/, /^give the URL the server redirects to/],
  ['webhook', 'the server fails (502)', () => ({ url: `${base}/status/502` }), / answered 502 Bad Gateway/, /^the server failed/],
  ['webhook', 'the server wants something else (400)', () => ({ url: `${base}/status/400` }), / answered 400 Bad Request/, /^check the URL and the headers/],
  ['webhook', 'nothing listens', async () => ({ url: `http://127.0.0.1:${await closedPort()}/x` }), /failed: connect ECONNREFUSED/, /^check the URL \(host, port, scheme\)/],
  ['webhook', 'the server does not answer in time', () => ({ url: `${base}/silent`, timeout: '200ms' }), /failed: no answer within 0\.2s$/, /raise the agent's timeout/],
  ['phpipam', 'nothing listens', async () => ({ api_url: `http://127.0.0.1:${await closedPort()}`, client_name: 'pd', client_token: 'secret-token' }), /^phpIPAM GET http:\/\/127\.0\.0\.1:\d+\/api\/pd\/subnets\/ failed: connect ECONNREFUSED/, /^check api_url \(host, port, scheme\)/],
  ['phpipam', 'phpIPAM does not answer in time', () => ({ api_url: `${base}/silent`, client_name: 'pd', client_token: 'secret-token', timeout: '200ms' }), /: no answer within 0\.2s$/, /raise the agent's timeout/],
  ['netbox', 'nothing listens', async () => ({ api_url: `http://127.0.0.1:${await closedPort()}/api/`, token: 'secret-token' }), /^NetBox GET http:\/\/127\.0\.0\.1:\d+\/api\/status\/ failed: connect ECONNREFUSED/, /^check api_url \(host, port, scheme\)/],
  ['netbox', 'NetBox does not answer in time', () => ({ api_url: `${base}/silent`, token: 'secret-token', timeout: '200ms' }), /: no answer within 0\.2s$/, /raise the agent's timeout/],
  ['hook', 'the program is not there', () => ({ command: [path.join(scratch.dir, 'missing-hook')], per: 'batch' }), /^cannot run .*missing-hook: spawn .* ENOENT/, /^give the full path of an executable file/],
  ['hook', 'it exits 4 (per batch)', () => ({ command: [hookScript(4)], per: 'batch' }), /exited with code 4; stderr: no thanks$/, /^the hook must exit 0/],
  ['hook', 'it exits 5 (per change)', () => ({ command: [hookScript(5)] }), /^change 1: .*exited with code 5; stderr: no thanks$/, /^the hook must exit 0/],
])('%s: when %s, a DeliveryError says so with the remedy for it', async (kind, _when, raw, message, remedy) => {
  const err = await failure(kind, raw);
  expect(err.message).toMatch(message);
  expect(err.remedy).toMatch(remedy);
  expect(err.deliveredIds).toEqual([]);
});

test('email: when nothing listens on the SMTP port, a DeliveryError says so with the remedy', async () => {
  const err = await failure('email', () => ({ to: 'soc@example.org' }), await closedPort());
  expect(err.message).toMatch(/^email agent soc-mail: sending through 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
  expect(err.remedy).toMatch(/^check the smtp section/);
});
