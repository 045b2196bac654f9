// The command lines real nmap runs recorded, checked against what those runs said they scanned
// (<scaninfo services>, '# Ports scanned'), and nmap itself as the oracle for port options.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { keyToIp } from '../../common/ip';
import { scopeFromNmapArgs } from '../../common/nmap-args';
import { findServicesFile } from '../../common/nmap-top-ports';
import { parsePortList } from '../../common/ports';
import type { PortScope, Proto } from '../../common/types';

const SCANS = path.join(__dirname, '../fixtures/scans');
const NO_SERVICES = '/nonexistent/nmap-services';
const SERVICES = findServicesFile();

/** Hosts each fixture target stands for, written out by hand. */
const TARGETS: Record<string, string[][]> = {
  '10.66.1.0/24': [['10.66.1.0', '10.66.1.255']],
  'fdaa:66:3::/120': [['fdaa:66:3::', 'fdaa:66:3::ff']],
  '127.0.10.0/28': [['127.0.10.0', '127.0.10.15']],
  '::1': [['::1', '::1']],
};

const unescapeXml = (s: string): string =>
  s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function scaninfo(xml: string): PortScope {
  const out: PortScope = {};
  for (const m of xml.matchAll(/<scaninfo [^>]*protocol="(\w+)"[^>]*services="([^"]*)"/g)) {
    if (m[1] === 'tcp' || m[1] === 'udp' || m[1] === 'sctp') out[m[1] as Proto] = parsePortList(m[2]);
  }
  return out;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const files = walk(SCANS);
const xmlRuns = files
  .filter((f) => f.endsWith('.xml'))
  .map((f) => ({ file: path.relative(SCANS, f), xml: fs.readFileSync(f, 'utf8') }))
  .filter((r) => /<nmaprun scanner="nmap"/.test(r.xml))
  .map((r) => ({ ...r, args: unescapeXml(/<nmaprun [^>]*args="([^"]*)"/.exec(r.xml)![1]), scanned: scaninfo(r.xml) }));

const hostsOf = (args: string) => {
  const s = scopeFromNmapArgs(args);
  return s.hosts && s.hosts.map((r) => [keyToIp(r.lo), keyToIp(r.hi)]);
};

describe('nmap XML fixtures', () => {
  test('there are nmap XML fixtures, some with --top-ports, -6 and -sT', () => {
    expect(xmlRuns.length).toBeGreaterThanOrEqual(30);
    expect(xmlRuns.some((r) => /--top-ports 1000/.test(r.args) && /-6/.test(r.args) && /-sT/.test(r.args))).toBe(true);
  });

  test.each(xmlRuns.map((r) => [r.file, r]))('%s: the args give the ports of <scaninfo> and the target hosts', (_, run) => {
    const s = scopeFromNmapArgs(run.args);
    expect(s.ports).toEqual(run.scanned);
    expect(hostsOf(run.args)).toEqual(TARGETS[run.args.split(' ').at(-1)!]);
    expect(s.hostNames).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(s.resolvesNames).toBe(true);
  });

  test.each(xmlRuns.map((r) => [r.file, r]))('%s: without nmap-services the ports are scaninfo or unknown', (_, run) => {
    const s = scopeFromNmapArgs(run.args, { servicesFile: NO_SERVICES });
    // Only the TCP top 1000 is bundled, which is all these fixtures use.
    expect(s.ports).toEqual(run.scanned);
  });
});

describe('commands.txt and the -oG headers', () => {
  const lines = files
    .filter((f) => f.endsWith('commands.txt'))
    .flatMap((f) =>
      fs.readFileSync(f, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
        const [night, scanner, , , command] = l.split('\t');
        return { scenario: path.basename(path.dirname(f)), night, scanner, command };
      }),
    )
    .filter((c) => c.command.startsWith('nmap '));

  test.each(lines.map((c) => [`${c.scenario} night ${c.night} ${c.command}`, c]))('%s', (_, c) => {
    const out = /-oA (\S+)/.exec(c.command)![1];
    const run = xmlRuns.find((r) => r.file === path.join(c.scenario, `night${c.night}`, c.scanner, `${out}.xml`));
    expect(run?.args).toBe(c.command);
    expect(scopeFromNmapArgs(c.command).ports).toEqual(run!.scanned);
    expect(hostsOf(c.command)).toEqual(TARGETS[c.command.split(' ').at(-1)!]);
  });

  const headers = files.filter((f) => f.endsWith('.gnmap')).map((f) => {
    const text = fs.readFileSync(f, 'utf8');
    const scanned = /^# Ports scanned: TCP\((\d+);([^)]*)\)/m.exec(text);
    return { file: path.relative(SCANS, f), args: /^# Nmap [\d.]+ scan initiated .* as: (.*)$/m.exec(text)![1], scanned };
  });

  test.each(headers.map((h) => [h.file, h]))('%s: the "as:" command line gives the same scope as the XML of that run', (_, h) => {
    const run = xmlRuns.find((r) => r.file === h.file.replace(/\.gnmap$/, '.xml'))!;
    expect(scopeFromNmapArgs(h.args).ports).toEqual(run.scanned);
    if (h.scanned) expect(scopeFromNmapArgs(h.args).ports!.tcp).toEqual(parsePortList(h.scanned[2]));
  });
});

// Port options as nmap 7.93 itself turns them into <scaninfo>: no target is given, so nothing is sent.
const ORACLE = [
  '-sS -p 80', '-sS -sU -p U:53,T:80', '-sS -sU -p T:80', '-sS -p [1-100]', '-sU -p http*,domain', '-sS -p *',
  '-sS -p ftp,ssh,[8000-8100]', '-sS --top-ports 10 --exclude-ports 80,443', '-sS -p 1-100 --top-ports 5',
  '-sS --port-ratio 0.1', '-sS -F --top-ports 10', '-sS -sU -sY -F', '-sU --top-ports 20 --exclude-ports 53,161',
  '-sT', '-sS -sU', '-sS -p 0-', '-sS -p -100', '-sY --top-ports 15', '-sS -F --exclude-ports 1-1000',
  '-sS -sU --top-ports 5 -p U:1-200,T:1-100', '-sS -p 80 --exclude-ports 80', '-sU -p [-]',
];

function nmapScaninfo(args: string[]): string | null {
  try {
    return execFileSync('nmap', [...args, '--privileged', '-oX', '-'], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

describe('nmap as the oracle', () => {
  const version = nmapScaninfo(['-sS', '-p', '1']);
  if (version === null || SERVICES === null) {
    test('cannot run here', () => {
      console.warn(`nmap as the oracle is skipped: ${version === null ? 'nmap does not run here' : 'no nmap-services file'}`);
      expect(version === null || SERVICES === null).toBe(true);
    });
    return;
  }
  test.each(ORACLE)('nmap %s', (args) => {
    const xml = nmapScaninfo(args.split(' '));
    expect(xml).toMatch(/<scaninfo /);
    expect(scopeFromNmapArgs(`nmap ${args}`).ports).toEqual(scaninfo(xml!));
  });
});
