// The agents for masscan (-oJ, -oD, -oL), zmap and naabu through the shared conformance suite, on
// the real masscan files of lab-a, the spellings of other masscan versions and naabu derived from
// them (tools/make-format-variants.py), and real zmap output (tools/make-zmap-fixtures.sh); then
// what each format's end says about completeness.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeInputAgent, readFixture, upHosts, type AgentCase } from '../helpers/describe-input-agent';
import { FIXTURES } from '../helpers/cli';
import { groundTruth, SCENARIOS } from '../helpers/oracle';
import { detect } from '../../input-agents/registry';
import { masscanJson } from '../../input-agents/masscan-json';
import { masscanList } from '../../input-agents/masscan-list';
import { naabuJson } from '../../input-agents/naabu-json';
import { zmapCsv } from '../../input-agents/zmap-csv';
import type { HostRecord, ScanEndEvent, ScanEvent } from '../../common/types';

const MADE = path.join(FIXTURES, 'made');
const made = (f: string) => path.join(MADE, f);

/** The ground truth of lab-a's masscan scan of a night for scan-in, per series. */
function truth(series: string, night: number): AgentCase['hosts'] {
  const n = groundTruth('lab-a').nights.find((x) => x.night === night)!;
  return n.scans.find((s) => s.scanner === 'scan-in' && s.series === series)!.hosts;
}

function masscanCases(ext: string): AgentCase[] {
  return SCENARIOS.flatMap((scenario) =>
    groundTruth(scenario).nights.flatMap((n) => n.scans.filter((s) => s.tool === 'masscan')
      .flatMap((s) => s.files.filter((f) => f.endsWith(ext))
        .map((f) => ({ name: `${scenario}/${f}`, bytes: readFixture(path.join(FIXTURES, 'scans', scenario, f)), complete: s.complete, hosts: s.hosts, names: false })))));
}

const variant = (file: string, night: number, complete: boolean): AgentCase =>
  ({ name: file, bytes: readFixture(made(file)), complete, hosts: truth('masscan-json', night), names: false });

/** naabu reports ports, not banners: the banner-only records of the -oJ truth carry no extra port. */
const naabu = [2, 4, 6].map((n) => variant(`naabu/night${n}.json`, n, true));

// What tools/make-zmap-fixtures.sh opened: TCP 8080 on these loopback addresses.
const zmapHosts = (ips: string[]) => Object.fromEntries(ips.map((ip) => [ip, { hostname: null, open: ['8080/tcp'] }]));
const zmap: AgentCase[] = [
  { name: 'zmap/night1.csv', bytes: readFixture(made('zmap/night1.csv')), complete: true, hosts: zmapHosts(['127.0.40.1', '127.0.40.2', '127.0.40.3']), names: false },
  { name: 'zmap/night2.csv', bytes: readFixture(made('zmap/night2.csv')), complete: true, hosts: zmapHosts(['127.0.40.1', '127.0.40.3', '127.0.40.4']), names: false },
];

describeInputAgent(masscanJson, [
  ...masscanCases('.json'),
  ...[2, 4, 6].map((n) => variant(`masscan/night${n}-oD.ndjson`, n, true)),
  variant('masscan/night6-trailing-comma.json', 6, true),
  variant('masscan/night6-finished.json', 6, true),
  variant('masscan/night6-bare-keys.json', 6, true),
  variant('masscan/night6-killed.json', 6, false),
]);
describeInputAgent(masscanList, masscanCases('.list'));
describeInputAgent(naabuJson, naabu);
describeInputAgent(zmapCsv, zmap);

const end = (events: ScanEvent[]) => events.find((e) => e.kind === 'end') as ScanEndEvent;
const parse = (agent: { parse: typeof masscanJson.parse }, text: string, portScope?: Parameters<typeof masscanJson.parse>[1]['portScope']) =>
  (async () => {
    const out: ScanEvent[] = [];
    for await (const ev of agent.parse(Readable.from([Buffer.from(text)]), { source: 't', portScope })) out.push(ev);
    return out;
  })();

describe('completeness from the end of the file', () => {
  const real = fs.readFileSync(path.join(FIXTURES, 'scans/lab-a/night2/scan-in/masscan.list'), 'utf8');
  const oD = fs.readFileSync(made('masscan/night2-oD.ndjson'), 'utf8');

  test.each([
    ['masscan -oL without "# end"', masscanList, real.replace('# end\n', '')],
    ['masscan -oL cut inside a line', masscanList, real.slice(0, real.indexOf('\n', 100) - 3)],
    ['masscan -oD cut inside a record', masscanJson, oD.slice(0, oD.length - 20)],
    ['masscan 1.0.x -oJ without "{finished: 1}"', masscanJson, fs.readFileSync(made('masscan/night6-finished.json'), 'utf8').replace('{finished: 1}\n', '')],
    ['naabu cut inside a line', naabuJson, fs.readFileSync(made('naabu/night2.json'), 'utf8').slice(0, -10)],
    ['zmap cut inside a line', zmapCsv, fs.readFileSync(made('zmap/night1.csv'), 'utf8').slice(0, -5)],
  ])('%s is incomplete, with a reason', async (_n, agent, text) => {
    const e = end(await parse(agent, text));
    expect(e.complete).toBe(false);
    expect(e.reason).toBeTruthy();
  });

  test('a masscan -oJ run that found nothing ("[", "]") is a complete scan without hosts', async () => {
    const events = await parse(masscanJson, '[\n]\n');
    expect(events.filter((e) => e.kind === 'host')).toEqual([]);
    expect(end(events).complete).toBe(true);
    expect(detect(Buffer.from('[\n]\n'), 't').name).toBe('masscan-json');
  });

  test('masscan closed ports (--show closed) are closed, banner records add service and banner to an open port', async () => {
    const events = await parse(masscanList, '#masscan\nclosed tcp 23 10.0.0.1 1741058400\nbanner tcp 22 10.0.0.1 1741058401 ssh SSH-2.0-OpenSSH_9.2p1\n# end\n');
    expect(events.filter((e): e is HostRecord => e.kind === 'host').map((h) => h.ports[0])).toEqual([
      { proto: 'tcp', port: 23, state: 'closed' },
      { proto: 'tcp', port: 22, state: 'open', service: 'ssh', banner: 'SSH-2.0-OpenSSH_9.2p1' },
    ]);
  });
});

describe('zmap without the port in its rows', () => {
  const text = fs.readFileSync(made('zmap/saddr-only.csv'), 'utf8');

  test("real 'saddr'-only output (no header) is detected as zmap", () => {
    expect(detect(Buffer.from(text), 't').name).toBe('zmap-csv');
  });

  test('with one port given, every address is that port open; without, hosts only and a warning', async () => {
    const withPort = upHosts(await parse(zmapCsv, text, { tcp: [{ lo: 8080, hi: 8080 }] }));
    expect(withPort).toEqual(zmapHosts(['127.0.40.1', '127.0.40.3', '127.0.40.4']));
    const without = await parse(zmapCsv, text);
    expect(Object.values(upHosts(without)).every((h) => h.open.length === 0)).toBe(true);
    expect(without.some((e) => e.kind === 'warning' && /no 'sport'/.test(e.message))).toBe(true);
  });

  test('a reset (classification rst) is a closed port on a live host; repeats are skipped', async () => {
    const events = await parse(zmapCsv, 'saddr,sport,classification,success,repeat\n127.0.40.5,8080,rst,0,0\n127.0.40.1,8080,synack,1,0\n127.0.40.1,8080,synack,1,1\n');
    const hosts = events.filter((e): e is HostRecord => e.kind === 'host');
    expect(hosts.map((h) => [h.ip, h.ports[0].state])).toEqual([['127.0.40.5', 'closed'], ['127.0.40.1', 'open']]);
  });
});

describe('a bad record is skipped with its line; a file of nothing else is rejected there', () => {
  test.each([
    ['masscan -oL', masscanList, '#masscan\nopen tcp 22 10.0.0.1 1741058400\nopen tcp 99999 10.0.0.1 1741058400\n# end\n', 'line 3'],
    ['masscan -oJ', masscanJson, '[\n{"ip": "10.0.0.1", "timestamp": "1741058400", "ports": [ {"port": 22, "proto": "tcp", "status": "open"} ] },\n{"ip": "not-an-ip", "timestamp": "1741058400", "ports": [ {"port": 22, "proto": "tcp", "status": "open"} ] }\n]\n', 'line 3'],
    ['naabu', naabuJson, '{"ip":"10.0.0.1","port":22,"protocol":"tcp"}\n{"ip":"10.0.0.1","port":"x"}\n', 'line 2'],
    ['zmap', zmapCsv, 'saddr,sport\n10.0.0.1,22\n10.0.0.999,22\n', 'line 3'],
    ['zmap, a row of the wrong width', zmapCsv, 'saddr,sport\n10.0.0.1,22\n10.0.0.2,22,x\n', 'line 3'],
  ])('%s: skipped at the bad line, the scan incomplete', async (_n, agent, text, position) => {
    const ev = await parse(agent as typeof masscanJson, text);
    expect(ev.filter((e) => e.kind === 'warning' && e.skippedRecord)).toEqual([expect.objectContaining({ position })]);
    expect(ev.filter((e) => e.kind === 'host').map((h) => (h as { ip: string }).ip)).toEqual(['10.0.0.1']);
    expect(ev[ev.length - 1]).toMatchObject({ kind: 'end', complete: false });
  });

  test.each([
    ['masscan -oL', masscanList, '#masscan\nopen tcp 99999 10.0.0.1 1741058400\n# end\n', 'line 2'],
    ['masscan -oJ', masscanJson, '[\n{"ip": "not-an-ip", "timestamp": "1741058400", "ports": [ {"port": 22, "proto": "tcp", "status": "open"} ] }\n]\n', 'line 2'],
    ['naabu', naabuJson, '{"ip":"10.0.0.1","port":"x"}\n', 'line 1'],
    ['zmap', zmapCsv, 'saddr,sport\n10.0.0.999,22\n', 'line 2'],
  ])('%s: only damaged records: rejected at the first', async (_n, agent, text, position) => {
    await expect(parse(agent as typeof masscanJson, text)).rejects.toMatchObject({ position, message: expect.stringMatching(/no readable host record/) });
  });
});
