// A served store with something of every kind in it, made in this process: two nights of lab-a (two
// scanners, 10.66.1.0/24), a scanner event (a mass absence, no address), failed files, and
// deliveries (sent, suppressed, and claims whose lease ran out) by the real repository functions.
import path from 'node:path';
import { ROOT, SCANS } from './cli';
import { csvText, night, port, Scratch, up } from './csv-scan';
import { ingestHere, serveInProcess, type InProcess } from './serve';
import { claimChanges, type Decision } from '../../db/delivery-repo';
import { finishClaims } from '../../db/delivery-marks';
import { recordFailure } from '../../db/health-repo';
import { ChangeType } from '../../common/types';

export const TOK_UPLOAD = 'tok-upload-scan-in-0123456789';
export const TOK_READ = 'tok-read-all-networks-0123456789';
export const TOK_BOUND = 'tok-read-lab-8-0123456789abcdef';
export const TOK_BOUND_TWO = 'tok-read-two-nets-0123456789abc';
/** The bound token's network: 10.66.1.8–15 of lab-a's 10.66.1.0/24. */
export const BOUND_NET = '10.66.1.8/29';
/** The example policy, written for lab-a's 10.66.1.0/24. */
export const POLICY_FILE = path.join(ROOT, 'docs/policy.example.yaml');

export const LAB_YAML = [
  'scanners:',
  '  dmz: { timezone: UTC }',
  'server:',
  `  tokens: { "${TOK_UPLOAD}": scan-in }`,
  '  read_tokens:',
  `    - "${TOK_READ}"`,
  `    - { name: lab-8, token: "${TOK_BOUND}", networks: [${BOUND_NET}] }`,
  `    - { name: two-nets, token: "${TOK_BOUND_TWO}", networks: [10.66.1.1, "10.66.1.53/32", "fd00::/64"] }`,
].join('\n') + '\n';

/** Scanner and agent names as a hostile file system or config writer could make them. */
export const HOSTILE_SCANNER = 'evil"} 1\nportdelta_fake{x="y\\';
export const HOSTILE_AGENT = 'hook\\"}\n# TYPE injected counter';

const SCRATCH = new Scratch();
afterAll(() => SCRATCH.remove());

/** Two agents' deliveries: `mail` sends 4 new ports and suppresses 2; `hook` claims 3 and dies (lease in the past). */
async function deliver(s: InProcess): Promise<void> {
  const base = { targetGroup: null, windowMs: 0, leaseMs: 60_000, now: Date.now };
  const sent = await claimChanges(s.db, { ...base, agent: 'mail', token: 'a'.repeat(32), filter: { typeMask: ChangeType.new_port }, limit: 6 },
    (fresh) => new Map<number, Decision>(fresh.slice(4).map((c) => [c.change_id, { status: 'suppressed', reason: 'expected' }])));
  await finishClaims(s.db, 'a'.repeat(32), Date.now());
  if (sent.changes.length < 4) throw new Error('the lab has too few new ports for the delivery fixtures');
  await claimChanges(s.db, { ...base, agent: 'hook', token: 'b'.repeat(32), filter: {}, limit: 3, now: () => 1, leaseMs: 1 }, () => new Map());
  await claimChanges(s.db, { ...base, agent: HOSTILE_AGENT, token: 'c'.repeat(32), filter: {}, limit: 1 }, () => new Map());
}

/** dmz: 8 hosts up, then none in a complete scan: more than max_absence (50 %, at least 5), so a mass_absence event. */
async function massAbsence(s: InProcess): Promise<void> {
  const hosts = Array.from({ length: 8 }, (_, i) => `10.9.0.${i + 1}`);
  const first = SCRATCH.write('dmz-1.csv', csvText({ started: night(1), rows: hosts.flatMap((ip) => [up(ip), port(ip, 22)]) }));
  const second = SCRATCH.write('dmz-2.csv', csvText({ started: night(2), rows: [] }));
  await ingestHere(s, first, 'dmz');
  const summary = await ingestHere(s, second, 'dmz');
  if (!summary.changes.mass_absence) throw new Error(`expected a mass_absence event, got ${JSON.stringify(summary.changes)}`);
}

/** The lab served on `dbUrl`; `policy`: a target-state policy file for the dashboard (POLICY_FILE fits the lab). */
export async function serveLab(dbUrl: string, yaml = LAB_YAML, policy?: string): Promise<InProcess> {
  const s = await serveInProcess(dbUrl, yaml, policy);
  for (const n of ['night1', 'night2']) {
    for (const scanner of ['scan-in', 'scan-out']) await ingestHere(s, path.join(SCANS, 'lab-a', n, scanner, 'nmap-tcp.xml'), scanner);
  }
  await massAbsence(s);
  for (const scanner of ['scan-in', 'scan-in', HOSTILE_SCANNER]) {
    await recordFailure(s.db.knex, { scanner, source: `/inbox/${scanner}/broken.xml`, reason: 'truncated', at: Date.now() });
  }
  await deliver(s);
  return s;
}
