// masscan --ping (ICMP echo) and ARP records: 'open icmp 0 …' / 'up arp 0 …' in -oL, the same
// records in -oJ, -oD and -oX (test/fixtures/made/README.md). Each says "this host answered" and
// nothing about any port: the file is read, the hosts are up, and the ports are those of the real
// file without the added records.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { collect, upHosts } from '../helpers/describe-input-agent';
import { FIXTURES, SCANS } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { Session } from '../helpers/session';
import { detect } from '../../input-agents/registry';

const PING = path.join(FIXTURES, 'made/masscan-ping');
const REAL = path.join(SCANS, 'lab-a/night2/scan-in');
const PORTS = '1-1024,3000,3306,5432,8000,8080,8081,8443,9000,9090,9100,U:53,U:123,U:161,U:514';

const CASES = [
  { layout: '-oL', file: 'night2-ping.list', real: path.join(REAL, 'masscan.list'), format: 'masscan-list' },
  { layout: '-oJ', file: 'night2-ping.json', real: path.join(REAL, 'masscan.json'), format: 'masscan-json' },
  { layout: '-oD', file: 'night2-ping-oD.ndjson', real: path.join(FIXTURES, 'made/masscan/night2-oD.ndjson'), format: 'masscan-json' },
  { layout: '-oX', file: 'night2-ping.xml', real: path.join(REAL, 'masscan.xml'), format: 'masscan-xml' },
];

/** The hosts nmap found up that night: every one answered the ping. */
function nmapUp(): string[] {
  const xml = fs.readFileSync(path.join(REAL, 'nmap-tcp.xml'), 'utf8');
  return (xml.match(/<host [\s\S]*?<\/host>/g) ?? []).filter((h) => h.includes('state="up"'))
    .map((h) => /<address addr="([\d.]+)" addrtype="ipv4"\/>/.exec(h)![1]).sort();
}

async function read(file: string) {
  const bytes = fs.readFileSync(file);
  const agent = detect(bytes.subarray(0, 65536), file);
  return { agent: agent.name, events: await collect(agent, Readable.from([bytes])) };
}

describe.each(CASES)('masscan $layout with ICMP echo and ARP records', ({ file, real, format }) => {
  test('is read: every pinged host is up, with the ports of the real file and no port 0', async () => {
    const ping = await read(path.join(PING, file));
    const plain = await read(real);
    expect(ping.agent).toBe(format);
    expect(ping.events.at(-1)).toEqual(expect.objectContaining({ kind: 'end', complete: true }));
    const hosts = upHosts(ping.events);
    expect(Object.keys(hosts).sort()).toEqual(nmapUp());
    const without = upHosts(plain.events);
    for (const ip of nmapUp()) expect(hosts[ip].open).toEqual(without[ip]?.open ?? []);
    expect(hosts['10.66.1.1'].open).toEqual([]); // answered the ping and ARP only
    expect(ping.events.some((e) => e.kind === 'host' && e.ports.some((p) => p.port === 0))).toBe(false);
  });
});

forEachDb('masscan ping records through ingest', (db) => {
  test.each(CASES)('$layout: the pinged hosts are up with no open port; the port state is that of the real file', async ({ file, real }) => {
    const withPing = new Session(db.fresh(), { scanner: 'scan-in' });
    const [summary] = (await withPing.ingestArgs(['--scope', '10.66.1.0/24', '--ports', PORTS, path.join(PING, file)])).summaries;
    expect(summary.status).toBe('applied');
    const plain = new Session(db.fresh(), { scanner: 'scan-in' });
    await plain.ingestArgs(['--scope', '10.66.1.0/24', '--ports', PORTS, real]);
    const up = (await withPing.hosts()).filter((h) => h.status === 'up');
    expect(up.map((h) => h.ip).sort()).toEqual(nmapUp());
    expect(up.find((h) => h.ip === '10.66.1.5')!.open_ports).toBe(0);
    const ports = (rows: { ip: string; proto: string; port: number }[]) => rows.map((r) => `${r.ip} ${r.proto}/${r.port}`).sort();
    expect(ports(await withPing.state())).toEqual(ports(await plain.state()));
  });
});
