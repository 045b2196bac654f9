// The facts half of the classifier's table (FACTS_CASES) through a real ingest of nmap XML, and the
// cases where a facts change joins a port change of the same scan. Used by
// test/delta-reporter/classify-through-ingest.test.ts on both databases.
import { Readable } from 'node:stream';
import { FACTS_CASES, MAX_OPEN_PORTS, T1, T2, crt, guess, svc } from './classify-table';
import { nmapXmlText, type XmlHost } from './nmap-xml-scan';
import { night } from './csv-scan';
import { classifyPort, type Thresholds } from '../../delta-reporter/classify';
import { classifyFacts, type FactsPrev } from '../../delta-reporter/classify-facts';
import { ingestStream } from '../../delta-reporter/ingest';
import type { Db } from '../../db/connection';
import { scannerSchema } from '../../common/scanner-config';
import { parseCert, parseService } from '../../common/service-facts';
import type { CertFacts, ServiceFingerprint } from '../../common/types';

/** One scan of a case: the thresholds then, and what it lists for the case's address (null: the host is absent). */
type Step = [Thresholds, (ip: string) => XmlHost | null];
const p22 = (service: ServiceFingerprint | null, cert: CertFacts | null = null) => (ip: string): XmlHost => ({ ip, ports: [{ port: 22, service, cert }] });
const hostOnly = (ip: string): XmlHost => ({ ip, ports: [] });
const absent = (): null => null;

export const FACT_STEPS: Record<string, Step[]> = {
  'version changed, both probed': [[T1, p22(svc('8.9p1'))], [T1, p22(svc('9.6p1'))]],
  'same version again': [[T1, p22(svc('8.9p1'))], [T1, p22(svc('8.9p1'))]],
  'first probe': [[T1, p22(null)], [T1, p22(svc('9.6p1'))]],
  'extra info changed': [[T1, p22(svc('8.9p1'))], [T1, p22(svc('8.9p1', { extrainfo: 'protocol 1.99' }))]],
  'now behind TLS': [[T1, p22(svc('8.9p1'))], [T1, p22(svc('8.9p1', { tunnel: 'ssl' }))]],
  'a table guess after a probe says nothing': [[T1, p22(svc('8.9p1'))], [T1, p22(guess())]],
  'a scan without -sV says nothing': [[T1, p22(svc('8.9p1'))], [T1, p22(null)]],
  'certificate changed': [[T1, p22(null, crt('a'))], [T1, p22(null, crt('b'))]],
  'same certificate again': [[T1, p22(null, crt('a'))], [T1, p22(null, crt('a'))]],
  'first certificate': [[T1, p22(null)], [T1, p22(null, crt('a'))]],
  'a scan without ssl-cert says nothing': [[T1, p22(null, crt('a'))], [T1, p22(null)]],
  'certificate changed, SHA-1 only on both sides': [[T1, p22(null, crt('a', 'sha1'))], [T1, p22(null, crt('b', 'sha1'))]],
  'no fingerprint in common proves nothing': [[T1, p22(null, crt('a', 'sha256'))], [T1, p22(null, crt('b', 'sha1'))]],
  'service and certificate changed': [[T1, p22(svc('8.9p1'), crt('a'))], [T1, p22(svc('9.6p1'), crt('b'))]],
  // closed, then seen open once under open_after 2: still reported closed
  'port not reported open: stored, not reported': [[T1, p22(svc('8.9p1'), crt('a'))], [T1, hostOnly], [T2, p22(svc('9.6p1'), crt('b'))]],
};

interface Combined {
  title: string;
  steps: Step[];
  /** The port's change and the facts' change, as the classifiers answer them. */
  change: number;
}

/** A facts change and a port change in one scan: one change row with both flags. */
export const COMBINED: readonly Combined[] = [
  {
    title: 're-opened with a new version',
    steps: [[T1, p22(svc('8.9p1'))], [T1, hostOnly], [T1, p22(svc('9.6p1'))]],
    change: classifyPort({ reported: 'closed', openStreak: 0, missStreak: 0 }, 'open', false, T1).change
      | classifyFacts({ service: svc('8.9p1'), cert: null }, { service: svc('9.6p1'), cert: null, reportedOpen: true }).change,
  },
  {
    title: 're-opened on a returning host with a new certificate',
    steps: [[T1, p22(null, crt('a'))], [T1, absent], [T1, p22(null, crt('b'))]],
    change: classifyPort({ reported: 'closed', openStreak: 0, missStreak: 0 }, 'open', true, T1).change
      | classifyFacts({ service: null, cert: crt('a') }, { service: null, cert: crt('b'), reportedOpen: true }).change,
  },
  {
    title: 'a new port with a probed service is only new',
    steps: [[T1, hostOnly], [T1, p22(svc('9.6p1'))]],
    change: classifyPort(null, 'open', false, T1).change | classifyFacts(null, { service: svc('9.6p1'), cert: null, reportedOpen: true }).change,
  },
];

export interface FactsStored {
  prev: FactsPrev | null;
  change: number;
  next: FactsPrev | null;
}

async function factsOf(db: Db, scanner: string, ip: string): Promise<FactsPrev | null> {
  const row = await db.knex('port_facts as f').join('scanners as s', 's.id', 'f.scanner_id').where({ 's.name': scanner, 'f.ip': ip, 'f.port': 22 }).first('f.service', 'f.cert');
  return row ? { service: parseService(row.service), cert: parseCert(row.cert) } : null;
}

async function ingest(db: Db, scanner: string, t: Thresholds, n: number, hosts: XmlHost[]): Promise<number> {
  const text = nmapXmlText({ started: night(n), targets: '10.9.1.0/24', hosts });
  const cfg = { open_after: t.openAfter, close_after: t.closeAfter, down_after: t.downAfter, max_open_ports: MAX_OPEN_PORTS };
  const summary = await ingestStream(db, Buffer.from(text), Readable.from([]), { source: `${scanner}-${n}.xml`, scanner, scanners: { [scanner]: scannerSchema.parse(cfg) } });
  expect(summary.status).toBe('applied');
  return summary.scan_id;
}

/** Runs each case on its own scanner and address; what was stored before the last scan, the change it stored, and what is stored after. */
export async function runFactCases(db: Db, cases: ReadonlyArray<{ title: string; steps: Step[] }>): Promise<Map<string, FactsStored>> {
  const out = new Map<string, FactsStored>();
  let i = 0;
  for (const c of cases) {
    const scanner = `f${++i}`;
    const ip = `10.9.1.${i}`;
    let prev: FactsPrev | null = null;
    let scanId = 0;
    for (const [n, [t, hosts]] of c.steps.entries()) {
      if (n === c.steps.length - 1) prev = await factsOf(db, scanner, ip);
      const host = hosts(ip);
      scanId = await ingest(db, scanner, t, n + 1, host ? [host] : []);
    }
    const row = await db.knex('changes').where({ scan_id: scanId, ip, port: 22 }).first('type');
    out.set(c.title, { prev, change: Number(row?.type ?? 0), next: await factsOf(db, scanner, ip) });
  }
  return out;
}

/** What the table says each facts case stores. */
export const FACT_EXPECTED = new Map(FACTS_CASES.map((c) => [c.title, { prev: c.prev, change: c.change, next: c.next } satisfies FactsStored]));
