// A time no scan can have (before 1990, from 2100 on, or beyond what a Date holds) rejects the file
// at the record that carries it, with the remedy: in every agent that reads times. Before, such a
// time became a Date far off (every later scan 'stale') or an Invalid Date that failed only in the
// database, where the inbox took it for the database's fault and retried the file forever.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FIXTURES, SCANS } from '../helpers/cli';
import { ScanRejectedError } from '../../common/errors';
import { detect } from '../../input-agents/registry';
import { EARLIEST_SCAN_TIME, LATEST_SCAN_TIME, scanTime } from '../../input-agents/scan-time';

const fixture = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');
const csv = (lines: string[]) => ['#portdelta-csv v1', ...lines].join('\n') + '\n';
const nmapXml = fixture(SCANS, 'lab-a/night1/scan-in/nmap-tcp.xml');
const masscanXml = fixture(SCANS, 'lab-a/night2/scan-in/masscan.xml');
const gnmap = fixture(SCANS, 'lab-a/night1/scan-out/nmap-tcp.gnmap');
const zmap = fixture(FIXTURES, 'made/zmap/night1.csv');
const naabu = fixture(FIXTURES, 'made/naabu/night2.json');

const CASES: Array<{ what: string; format: string; text: string; position: RegExp }> = [
  { what: 'uniform CSV #started= far in the future', format: 'portdelta-csv', text: csv(['#started=99999999999999', '#complete=true', 'ip,proto,port,state', '10.0.0.1,tcp,22,open']), position: /^line 2$/ },
  { what: 'uniform CSV #finished= before 1990', format: 'portdelta-csv', text: csv(['#finished=1969-12-31T23:00:00Z', 'ip,proto,port,state', '10.0.0.1,tcp,22,open']), position: /^line 2$/ },
  { what: 'uniform CSV seen_at in 2150', format: 'portdelta-csv', text: csv(['ip,proto,port,state,seen_at', '10.0.0.1,tcp,22,open,2150-01-01T00:00:00Z']), position: /^line 3$/ },
  { what: "Dr. Portscan's timestamp column", format: 'portdelta-csv', text: '10.0.0.1,22,tcp,99999999999999\n', position: /^line 1$/ },
  { what: 'masscan -oL timestamp in 2100', format: 'masscan-list', text: '#masscan\nopen tcp 22 10.0.0.1 4102444800\n# end\n', position: /^line 2$/ },
  { what: 'masscan -oJ timestamp beyond any calendar', format: 'masscan-json', text: '[\n{   "ip": "10.0.0.1",   "timestamp": "99999999999999999", "ports": [ {"port": 22, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }\n]\n', position: /^line 2$/ },
  { what: 'masscan -oD timestamp in 1985', format: 'masscan-json', text: '{"ip":"10.0.0.1","timestamp":"473385600","port":22,"proto":"tcp","rec_type":"status","data":{"status":"open","reason":"syn-ack","ttl":64}}\n', position: /^line 1$/ },
  { what: 'masscan -oX host endtime', format: 'masscan-xml', text: masscanXml.replace(/endtime="\d+"/, 'endtime="99999999999"'), position: /^\d+:\d+$/ },
  { what: 'nmap XML start=', format: 'nmap-xml', text: nmapXml.replace(/ start="\d+"/, ' start="99999999999999"'), position: /^\d+:\d+$/ },
  { what: 'nmap XML <finished time=>', format: 'nmap-xml', text: nmapXml.replace(/<finished time="\d+"/, '<finished time="1"'), position: /^\d+:\d+$/ },
  { what: 'nmap -oG header year 2150', format: 'nmap-grepable', text: gnmap.replace(/initiated (.*?) 2025 as/, 'initiated $1 2150 as'), position: /^line 1$/ },
  { what: 'zmap timestamp-str', format: 'zmap-csv', text: zmap.replace(/\n127\.0\.40\.1,8080,synack,1,0,\d{4}/, '\n127.0.40.1,8080,synack,1,0,2200'), position: /^line 2$/ },
  { what: 'naabu timestamp', format: 'naabu-json', text: naabu.replace(/"timestamp":"2025/, '"timestamp":"2200'), position: /^line 1$/ },
];

describe.each(CASES)('$what', ({ format, text, position }) => {
  test('rejects the file at the record, with the remedy', async () => {
    const bytes = Buffer.from(text);
    const agent = detect(bytes.subarray(0, 65536), 'test');
    expect(agent.name).toBe(format);
    let err: unknown;
    try {
      const read: unknown[] = [];
      for await (const ev of agent.parse(Readable.from([bytes]), { source: 'scan.file', timezone: 'UTC' })) read.push(ev); // read it all
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScanRejectedError);
    const r = err as ScanRejectedError;
    expect(r.message).toMatch(/outside 1990-2099|is not a time/);
    expect(r.position).toMatch(position);
    expect(r.remedy).toMatch(/clock/);
  });
});

describe('scanTime', () => {
  test.each([
    [EARLIEST_SCAN_TIME, true],
    [EARLIEST_SCAN_TIME - 1, false],
    [LATEST_SCAN_TIME - 1, true],
    [LATEST_SCAN_TIME, false],
    [Date.UTC(2025, 2, 3), true],
    [1e20, false],
    [NaN, false],
  ])('%d is a scan time: %s', (ms, ok) => {
    expect(scanTime(ms, 'it') instanceof Date).toBe(ok);
  });
});
