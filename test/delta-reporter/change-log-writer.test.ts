// The classifier walks write their change rows through the dialect's bulk writer (COPY on
// PostgreSQL, a prepared INSERT on SQLite). Names come from the network: a PTR name holding a tab,
// a newline, a backslash or COPY's own "\N" must come back exactly as the scan gave it, and the
// rows must be the ones the CLI reads, on both databases.
import { cliJson, cli } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { Scratch } from '../helpers/csv-scan';

const xmlEsc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);

function scan(start: number, hosts: Array<{ ip: string; name: string; ports: number[] }>): string {
  const body = hosts.map((h) => `<host><status state="up" reason="echo-reply" reason_ttl="63"/>
<address addr="${h.ip}" addrtype="ipv4"/>
<hostnames><hostname name="${xmlEsc(h.name)}" type="PTR"/></hostnames>
<ports>${h.ports.map((p) => `<port protocol="tcp" portid="${p}"><state state="open" reason="syn-ack" reason_ttl="63"/></port>`).join('')}</ports>
</host>`).join('\n');
  return `<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -sS -p 1-1000 10.7.0.0/29" start="${start}" version="7.93">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
${body}
<runstats><finished time="${start + 60}"/></runstats>
</nmaprun>
`;
}

interface ChangeJson {
  ip: string;
  types: string[];
  hostname: string | null;
  previous_hostname: string | null;
  port: number | null;
}

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

forEachDb('change rows through the bulk writer', (tdb) => {
  test('hostile names in renames, closed and opened ports come back exactly', async () => {
    const db = tdb.fresh();
    const before = ['tab\there.example', 'back\\slash.example', 'plain.example'];
    const after = ['new\nline.example', '\\N', 'cr\rname\\t.example'];
    const ips = ['10.7.0.1', '10.7.0.2', '10.7.0.3'];
    const one = scratch.write('one.xml', scan(1741226400, ips.map((ip, i) => ({ ip, name: before[i], ports: [22, 80] }))));
    const two = scratch.write('two.xml', scan(1741312800, ips.map((ip, i) => ({ ip, name: after[i], ports: [22, 443] }))));
    for (const f of [one, two]) expect((await cli(['--db', db, 'ingest', '--scanner', 'w', f])).code).toBe(0);
    const changes = await cliJson<ChangeJson[]>(['--db', db, 'changes', '--json', '--scanner', 'w']);
    const renames = changes.filter((c) => c.types.includes('dns_changed')).map((c) => [c.ip, c.previous_hostname, c.hostname]).sort();
    expect(renames).toEqual(ips.map((ip, i) => [ip, before[i], after[i]]));
    const closed = changes.filter((c) => c.types.includes('port_closed')).map((c) => [c.ip, c.port, c.hostname]).sort();
    expect(closed).toEqual(ips.map((ip, i) => [ip, 80, after[i]]));
    expect(changes.filter((c) => c.types.includes('new_port') && c.port === 443)).toHaveLength(3);
  });
});
