// The dashboard's Audit page on a real `portdelta serve` whose config names a policy: the rows of
// `portdelta audit --json`, within a bound token's networks; and serve refuses to start on a policy
// file it cannot read, as audit does.
import fs from 'node:fs';
import path from 'node:path';
import { cli, cliJson, ROOT, SCANS } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';
import { startServe, type Served } from '../helpers/serve';
import { fetchWithHeaders } from '../helpers/dashboard';
import { ipKey, parseTargets, rangesContain } from '../../common/ip';

const TOK = 'tok-audit-read-all-0123456789';
const TOK_NET = 'tok-audit-read-net-0123456789';
const NET = '10.66.1.10/31';
const scratch = new Scratch();
afterAll(() => scratch.remove());

describe('the Audit page', () => {
  let served: Served;
  const db = `sqlite:${path.join(scratch.dir, 'audit.sqlite')}`;
  const config = scratch.write('portdelta.yaml', [
    'policy: policy.yaml',
    'scanners: { scan-in: { group: inside } }',
    'server:',
    `  read_tokens: ["${TOK}", { name: net, token: "${TOK_NET}", networks: ["${NET}"] }]`,
  ].join('\n') + '\n');
  scratch.write('policy.yaml', fs.readFileSync(path.join(ROOT, 'docs/policy.example.yaml')));
  const rowsOf = (text: string) => [...text.matchAll(/<tr><td><a href="\/hosts\/([^"]+)">[^<]*<\/a><\/td><td><a href="\/ports\/(\w+)\/(\d+)"/g)].map((m) => `${m[1]} ${m[3]}/${m[2]}`);

  beforeAll(async () => {
    const r = await cli(['--db', db, '--config', config, 'ingest', '--scanner', 'scan-in', path.join(SCANS, 'lab-a', 'night2', 'scan-in', 'nmap-tcp.xml')]);
    expect(r.code).toBe(0);
    served = await startServe(['--db', db, '--config', config, 'serve', '--listen', '127.0.0.1:0', '--ingest']);
  }, 60_000);
  afterAll(async () => served?.stop());

  test('lists the rows of `audit --json`, each with its owner', async () => {
    const want = await cliJson<Array<{ ip: string; proto: string; port: number; owner: string | null }>>(['--db', db, '--config', config, 'audit']);
    expect(want.length).toBeGreaterThan(1);
    const page = await fetchWithHeaders(`${served.url}/audit`, { headers: { Authorization: `Bearer ${TOK}` } });
    expect(page.status).toBe(200);
    expect(rowsOf(page.text)).toEqual(want.map((v) => `${v.ip} ${v.port}/${v.proto}`));
    for (const v of want) if (v.owner) expect(page.text).toContain(`<td>${v.owner}</td>`);
  });

  test('a token bound to networks sees only their violations', async () => {
    const inside = (ip: string) => rangesContain(parseTargets([NET]), ipKey(ip));
    const all = await cliJson<Array<{ ip: string; proto: string; port: number }>>(['--db', db, '--config', config, 'audit']);
    const page = await fetchWithHeaders(`${served.url}/audit`, { headers: { Authorization: `Bearer ${TOK_NET}` } });
    const rows = rowsOf(page.text);
    expect(rows).toEqual(all.filter((v) => inside(v.ip)).map((v) => `${v.ip} ${v.port}/${v.proto}`));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(all.length);
  });

  test('the page follows a new night and a cleanup while serve runs (its answers are kept per state of the open ports)', async () => {
    const page = async () => rowsOf((await fetchWithHeaders(`${served.url}/audit`, { headers: { Authorization: `Bearer ${TOK}` } })).text);
    const want = async () => (await cliJson<Array<{ ip: string; proto: string; port: number }>>(['--db', db, '--config', config, 'audit'])).map((v) => `${v.ip} ${v.port}/${v.proto}`);
    const before = await page();
    expect(await page()).toEqual(before);
    // night 3 closes mail01's 110 (a violation) and brings app03 (denied everywhere)
    const r = await cli(['--db', db, '--config', config, 'ingest', '--scanner', 'scan-in', path.join(SCANS, 'lab-a', 'night3', 'scan-in', 'nmap-tcp.xml')]);
    expect(r.code).toBe(0);
    const night3 = await page();
    expect(night3).not.toEqual(before);
    expect(night3).toEqual(await want());
    const gone = night3[0].split(' ')[0];
    expect((await cli(['--db', db, '--config', config, 'cleanup', '--ip', gone])).code).toBe(0);
    const cleaned = await page();
    expect(cleaned.some((row) => row.startsWith(`${gone} `))).toBe(false);
    expect(cleaned).toEqual(await want());
  });

  test('serve does not start on a policy file it cannot read', async () => {
    const broken = scratch.write('broken.yaml', 'policy: missing-policy.yaml\nserver: { read_tokens: ["x-token-0123456789abcdef"] }\n');
    const r = await cli(['--db', db, '--config', broken, 'serve', '--listen', '127.0.0.1:0', '--ingest']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/missing-policy\.yaml/);
  });
});
