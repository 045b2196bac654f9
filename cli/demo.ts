// `portdelta demo`: six real nights into a temporary SQLite database, told night by night.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, type Io, type Action } from './io';
import { flagOpt } from './options';
import { openDb, type Db } from '../db/connection';
import { configSchema, type Config } from '../config/config';
import { ingestStream } from '../delta-reporter/ingest';
import { openInput } from '../input-agents/open-input';
import { listChanges } from '../db/query-repo';
import { describeChange } from '../common/describe';
import { ChangeType, type ChangeRow } from '../common/types';
import { safeText } from '../common/safe-text';
import { ipKey } from '../common/ip';
import { TokenTable } from '../server/auth';
import { startServer } from '../server/http-server';
import { untilSignal } from './serve';
import { loadPolicy, type TargetPolicy } from '../output-agents/policy';

const SCANNERS = { 'scan-in': 'inside the LAN', 'scan-out': 'from outside, through the router firewall' } as const;

function demoDir(): string {
  // dist/cli/demo.js → <package>/demo ; cli/demo.ts under jest → <package>/demo
  for (const d of [path.resolve(__dirname, '../../demo/lab-a'), path.resolve(__dirname, '../demo/lab-a')]) if (fs.existsSync(d)) return d;
  throw new Error('the bundled demo scans are missing (demo/lab-a)');
}

/** One line per host: its host event and its port events folded together. */
function hostLines(all: ChangeRow[]): string[] {
  const byHost = new Map<string, ChangeRow[]>();
  const rows = all.filter((r): r is ChangeRow & { ip: string } => r.ip !== null);
  const ordered = [...rows].sort((a, b) => (ipKey(a.ip) < ipKey(b.ip) ? -1 : ipKey(a.ip) > ipKey(b.ip) ? 1 : a.id - b.id));
  for (const r of ordered) byHost.set(r.ip, [...(byHost.get(r.ip) ?? []), r]);
  const lines: string[] = all.filter((r) => r.ip === null).map((r) => `    ${safeText(describeChange(r))}`);
  for (const [ip, list] of byHost) {
    const host = list.find((r) => r.port === null);
    const name = list.find((r) => r.hostname)?.hostname ?? null;
    const words: string[] = [];
    if (host) words.push(describeChange(host));
    const withHost = list.filter((r) => r.port !== null && r.type & (ChangeType.new_host | ChangeType.host_down));
    if (withHost.length) words.push(`${host && host.type & ChangeType.host_down ? 'its ports' : 'open'}: ${withHost.map((r) => `${r.port}/${r.proto}`).join(' ')}`);
    for (const r of list.filter((r) => r.port !== null && !(r.type & (ChangeType.new_host | ChangeType.host_down)))) words.push(describeChange(r));
    lines.push(`    ${ip.padEnd(12)} ${safeText(name ?? '(no DNS name)').padEnd(20)} ${safeText(words.join('; '))}`);
  }
  return lines;
}

/** The example target-state policy, written for lab-a (docs/policy.example.yaml), for the dashboard's Audit, Overview and verdict filter. */
function demoPolicy(): { file: string; policy: TargetPolicy } {
  const file = path.resolve(demoDir(), '../../docs/policy.example.yaml');
  return { file, policy: loadPolicy(file) };
}

/**
 * The dashboard over the demo database on 127.0.0.1 (a free port), for this process only: its one
 * read token is random and printed once. Runs until Ctrl-C (SIGINT) or SIGTERM.
 */
async function serveDemo(db: Db, config: Config, io: Io, json: boolean): Promise<void> {
  const say = (t: string) => (json ? io.err(t) : io.out(t)); // --json keeps stdout JSON
  const token = randomBytes(24).toString('base64url');
  const tokens = new TokenTable({}, [{ token, name: 'demo', networks: null }]);
  const log = (line: string) => {
    if (line.startsWith('internal error')) io.err(safeText(line) + '\n');
  };
  const server = await startServer({ db, config, tokens, maxBody: config.server.max_body, ingest: false, inbox: null, spool: null, policy: demoPolicy() }, { host: '127.0.0.1', port: 0, log });
  say(`\nThe dashboard is at ${server.url}/\n`);
  say(`Log in with this one-time read token (valid while this process runs): ${token}\n`);
  say('Ctrl-C stops it.\n');
  const sig = await untilSignal();
  io.err(`portdelta: ${sig}: closing\n`);
  await server.close();
}

export const run: Action = async (_args, opts, global, io: Io) => {
  const keep = flagOpt(opts, 'keep');
  const dir = demoDir();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portdelta-demo-'));
  const dbFile = path.join(tmp, 'demo.sqlite');
  const db = await openDb(`sqlite:${dbFile}`);
  const config = configSchema.parse({ scanners: { 'scan-in': { group: 'inside' }, 'scan-out': { group: 'outside' } } });
  const all: unknown[] = [];
  try {
    if (!global.json) {
      io.out('portdelta demo: six nights of real nmap scans of a small office LAN (10.66.1.0/24),\n');
      io.out('scanned from inside (scan-in) and from outside its firewall (scan-out).\n');
    }
    const nights = fs.readdirSync(dir).filter((n) => /^night\d+$/.test(n)).sort();
    for (const night of nights) {
      let lastId = (await listChanges(db.knex, {})).reduce((m, r) => Math.max(m, r.id), 0);
      const summaries = [];
      for (const scanner of Object.keys(SCANNERS)) {
        const files = fs.readdirSync(path.join(dir, night, scanner)).filter((f) => f.endsWith('.xml')).sort();
        for (const f of files) {
          const file = path.join(dir, night, scanner, f);
          const { head, rest } = await openInput(file);
          summaries.push(await ingestStream(db, head, rest, { source: `${night}/${scanner}/${f}`, scanner, scanners: config.scanners }));
        }
      }
      const rows = await listChanges(db.knex, { afterId: lastId });
      lastId = rows.reduce((m, r) => Math.max(m, r.id), lastId);
      if (global.json) {
        all.push({ night, scans: summaries, changes: rows });
        continue;
      }
      const date = summaries.find((s) => s.started_at)?.started_at?.slice(0, 10) ?? '';
      io.out(`\n${night.replace('night', 'Night ')} (${date})\n`);
      for (const s of summaries.filter((s) => !s.complete)) io.out(`  note: ${s.source} is incomplete (interrupted scan): nothing is concluded closed or down from it\n`);
      for (const [scanner, where] of Object.entries(SCANNERS)) {
        const mine = rows.filter((r) => r.scanner === scanner);
        // A report sums a first scan up in one line per scanner; the demo shows what is behind it.
        const first = mine.some((r) => r.baseline) ? ', first scan (its baseline)' : '';
        io.out(`  ${scanner} (${where})${first}${mine.length ? ':' : ': nothing changed'}\n`);
        for (const line of hostLines(mine)) io.out(line + '\n');
      }
    }
    if (global.json) io.out(JSON.stringify(all, null, 2) + '\n');
    else {
      io.out(`\nEach change was recorded once per scanner; 'portdelta changes', 'state' and 'hosts' list them.\n`);
      io.out(keep ? `The demo database is kept: portdelta --db ${dbFile} changes\n` : 'Keep the database with: portdelta demo --keep\n');
    }
    if (flagOpt(opts, 'serve')) await serveDemo(db, config, io, !!global.json);
  } finally {
    await db.close();
    if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
  return EXIT.ok;
};
