// Scanner health (docs/operations.md) end to end through the spawned CLI, on SQLite and PostgreSQL:
// `scanners --json`, silence noticed without a scan (one event per silence period, also for
// concurrent runs), scanner_back, delivery by an agent with type filters, and max_absence.
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, cliJson, FIXTURES, SCANS, spawnCli } from '../helpers/cli';
import { csvText, Scratch } from '../helpers/csv-scan';
import type { ChangeRow } from '../../common/types';

const LAB = path.join(SCANS, 'lab-a');
const tcp = (n: number) => path.join(LAB, `night${n}`, 'scan-in', 'nmap-tcp.xml');
const H = 3600e3;

interface Status {
  scanner: string;
  group: string | null;
  expect_every: string | null;
  last_scan: { id: number; time: string; file: string; format: string; hosts_up: number; ports_open: number; complete: boolean } | null;
  last_complete_scan_at: string | null;
  scans_7d: number;
  last_failure: { file: string; reason: string; time: string } | null;
  silent: boolean;
  silent_since: string | null;
}

let scratch: Scratch;
beforeEach(() => (scratch = new Scratch()));
afterEach(() => scratch.remove());

/** A config with scanner scan-in and, optionally, output agents (YAML lines). */
function config(scanner: Record<string, string>, agents: string[] = []): string {
  const lines = ['scanners:', '  scan-in:', '    timezone: UTC', ...Object.entries(scanner).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)];
  if (agents.length) lines.push('output_agents:', ...agents);
  return scratch.write(`config-${Math.random().toString(36).slice(2)}.yaml`, lines.join('\n') + '\n');
}

const fileAgent = (name: string, file: string, types: string) =>
  // Every change listed, the first scan's too: these tests count events, not the baseline summary.
  [`  - name: ${name}`, '    kind: file', `    path: ${JSON.stringify(file)}`, '    format: jsonl', `    types: ${types}`, '    include_baseline: true'].join('\n');

function session(db: string, cfg: string) {
  const base = ['--db', db, '--config', cfg];
  const at = (ms: number) => ({ env: { PORTDELTA_NOW: new Date(ms).toISOString() } });
  return {
    ingest: (args: string[]) => cliJson<Array<Record<string, unknown>>>([...base, 'ingest', '--scanner', 'scan-in', ...args]),
    scanners: (now: number) => cliJson<Status[]>([...base, 'scanners'], at(now)),
    changes: (type?: string) => cliJson<ChangeRow[]>([...base, 'changes', ...(type ? ['--type', type] : [])]),
    report: (now: number) => cli([...base, 'report'], at(now)),
    /** report as its own process, for two at the same time. */
    reportProcess: (now: number) => spawnCli([...base, 'report'], at(now)),
    run: (args: string[], now: number) => cli([...base, ...args], at(now)),
    hosts: () => cliJson<Array<{ ip: string; status: string; hostname: string | null }>>([...base, 'hosts']),
    state: () => cliJson<Array<{ ip: string; proto: string; port: number }>>([...base, 'state']),
  };
}

const lines = (file: string): Array<Record<string, unknown>> =>
  fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

forEachDb('scanner health', (db) => {
  test('scanners --json: group, last applied scan, scans in 7 days, last failed file, silent since once expect_every has passed', async () => {
    const s = session(db.fresh(), config({ group: 'inside', expect_every: '26h' }));
    await s.ingest([tcp(1)]);
    await s.ingest([tcp(2)]);
    // A bad file in the inbox: failed/ gets it, the store records why.
    const inbox = path.join(scratch.dir, 'inbox');
    fs.mkdirSync(path.join(inbox, 'scan-in'), { recursive: true });
    fs.writeFileSync(path.join(inbox, 'scan-in', 'notes.txt'), 'these are notes, not a scan\n');
    const watched = await s.run(['watch', inbox, '--once', '--settle', '10ms'], Date.now());
    expect(watched.code).toBe(2);

    const [before] = await s.scanners(Date.parse('2025-03-04T12:00:00Z'));
    expect(before).toMatchObject({ scanner: 'scan-in', group: 'inside', expect_every: '26h', scans_7d: 2, silent: false, silent_since: null });
    expect(before.last_scan).toMatchObject({ file: tcp(2), format: 'nmap-xml', complete: true });
    expect(before.last_scan!.hosts_up).toBeGreaterThan(5);
    expect(before.last_scan!.ports_open).toBeGreaterThan(10);
    expect(before.last_complete_scan_at).toBe(before.last_scan!.time);
    expect(before.last_failure!.file).toContain('notes.txt');
    expect(before.last_failure!.reason.length).toBeGreaterThan(10);

    const lastAt = Date.parse(before.last_complete_scan_at!);
    const [quiet] = await s.scanners(lastAt + 25 * H);
    expect(quiet.silent).toBe(false);
    const [after] = await s.scanners(lastAt + 27 * H);
    expect(after).toMatchObject({ silent: true, silent_since: new Date(lastAt + 26 * H).toISOString() });
    // Eight days on, the two scans are no longer "in the last 7 days".
    expect((await s.scanners(lastAt + 8 * 24 * H))[0].scans_7d).toBe(0);
    // Looking recorded the silence once.
    const silent = await s.changes('scanner_silent');
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatchObject({ ip: null, proto: null, port: null, type: 512, types: ['scanner_silent'], scanner: 'scan-in' });
    expect(silent[0].details).toMatchObject({ silent_since: new Date(lastAt + 26 * H).toISOString(), expect_every: '26h' });
  });

  test('a scanner without expect_every is never silent', async () => {
    const s = session(db.fresh(), config({ group: 'inside' }));
    await s.ingest([tcp(1)]);
    const [st] = await s.scanners(Date.parse('2026-01-01T00:00:00Z'));
    expect(st).toMatchObject({ silent: false, expect_every: null });
    expect(await s.changes('scanner_silent')).toEqual([]);
  });

  test('one scanner_silent per silence period across report runs, also concurrent ones; scanner_back after a new scan; delivered once, by type', async () => {
    const out = path.join(scratch.dir, 'health.jsonl');
    const hostsOut = path.join(scratch.dir, 'hosts.jsonl');
    const near = path.join(scratch.dir, 'near.jsonl');
    const s = session(db.fresh(), config({ expect_every: '26h' }, [
      fileAgent('health', out, '[scanner_silent, scanner_back]'),
      fileAgent('hosts', hostsOut, '[new_host]'),
      `${fileAgent('near', near, '[scanner_silent]')}\n    networks: [10.66.1.0/24]`,
    ]));
    await s.ingest([tcp(1)]);
    const t1 = Date.parse((await s.changes())[0].detected_at);
    const late = t1 + 30 * H;
    for (let i = 0; i < 2; i++) {
      const r = await s.report(late);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('warning: scanner scan-in is silent since');
    }
    expect(await s.changes('scanner_silent')).toHaveLength(1);
    expect(lines(out).map((c) => c.type)).toEqual([512]);
    expect(lines(out)[0]).toMatchObject({ ip: null, scanner: 'scan-in' });

    await s.ingest([tcp(2)]);
    const back = await s.changes('scanner_back');
    expect(back).toHaveLength(1);
    const silentSince = (await s.changes('scanner_silent'))[0].details!.silent_since as string;
    expect(Date.parse(silentSince) - t1).toBeGreaterThanOrEqual(26 * H); // the scan's end + 26h
    expect(back[0].details).toMatchObject({ silent_since: silentSince });

    const t2 = Date.parse(back[0].detected_at);
    const both = await Promise.all([s.reportProcess(t2 + 40 * H), s.reportProcess(t2 + 40 * H)]);
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    expect(await s.changes('scanner_silent')).toHaveLength(2);
    expect(lines(out).map((c) => c.type)).toEqual([512, 1024, 512]);
    // Type filters hold: the new_host agent got hosts only; a networks filter never matches an event without an address.
    expect(lines(hostsOut).length).toBeGreaterThan(0);
    expect(lines(hostsOut).every((c) => c.ip !== null && (Number(c.type) & 1) === 1)).toBe(true);
    expect(lines(near)).toEqual([]);
  });

  test('run prints a warning line for a silent scanner and lists it in --json', async () => {
    const s = session(db.fresh(), config({ expect_every: '26h' }));
    await s.ingest([tcp(1)]);
    const inbox = path.join(scratch.dir, 'inbox');
    fs.mkdirSync(inbox);
    const t1 = Date.parse((await s.changes())[0].detected_at);
    const r = await s.run(['run', '--inbox', inbox, '--settle', '10ms'], t1 + 27 * H);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('warning: scanner scan-in is silent since'))).toHaveLength(1);
    const j = JSON.parse((await s.run(['run', '--inbox', inbox, '--settle', '10ms', '--json'], t1 + 27 * H)).stdout) as { silent: Array<{ scanner: string; recorded: boolean }> };
    expect(j.silent).toEqual([expect.objectContaining({ scanner: 'scan-in', recorded: false })]);
  });

  describe('max_absence', () => {
    /** A complete scan of the whole /24 that lists only `keep` (with their open ports): most hosts vanish. */
    async function truncated(s: ReturnType<typeof session>, keep: string[], started: string, scope = '10.66.1.0/24'): Promise<string> {
      const open = (await s.state()).filter((p) => keep.includes(p.ip));
      const names = new Map((await s.hosts()).map((h) => [h.ip, h.hostname ?? '']));
      const rows = [...keep.map((ip) => `${ip},,,up,${names.get(ip)},`), ...open.map((p) => `${p.ip},${p.proto},${p.port},open,,`)];
      return scratch.write(`truncated-${started}.csv`, csvText({ started, rows, scope, ports: 'tcp:1-65535' }));
    }

    test('a complete scan that would take down most hosts holds them back with one mass_absence event; the next scan that confirms it reports host_down', async () => {
      const s = session(db.fresh(), config({}));
      await s.ingest([tcp(1)]);
      const up = (await s.hosts()).filter((h) => h.status === 'up').map((h) => h.ip);
      const keep = up.slice(0, 2);
      const before = await s.changes();

      const [first] = await s.ingest([await truncated(s, keep, '2025-03-04T02:00:00Z')]);
      const added = (await s.changes()).slice(before.length);
      expect(added.map((c) => c.types)).toEqual([['mass_absence']]);
      expect(added[0]).toMatchObject({ ip: null, proto: null, port: null, type: 2048 });
      expect(added[0].details).toMatchObject({ held_hosts: up.length - 2, up_hosts: up.length, max_absence: 0.5 });
      expect(first.mass_absence).toMatchObject({ held_hosts: up.length - 2 });
      expect((first.warnings as string[]).some((w) => w.startsWith('mass absence:'))).toBe(true);
      expect((await s.hosts()).filter((h) => h.status === 'up')).toHaveLength(up.length);

      const seen = (await s.changes()).length;
      await s.ingest([await truncated(s, keep, '2025-03-05T02:00:00Z')]);
      const confirmed = (await s.changes()).slice(seen);
      const downs = confirmed.filter((c) => c.port === null).map((c) => c.ip).sort();
      expect(downs).toEqual(up.slice(2).sort());
      expect(confirmed.filter((c) => c.port === null).every((c) => c.type === 2)).toBe(true);
      expect(confirmed.some((c) => c.type === 2048)).toBe(false);
      expect((await s.hosts()).filter((h) => h.status === 'up').map((h) => h.ip).sort()).toEqual([...keep].sort());
    });

    test('real loopback scans: the other subnet\'s complete scan, said to cover both, holds 127.0.20.x back; the next scan that misses them takes them down', async () => {
      const made = (name: string) => path.join(FIXTURES, 'made', name);
      const s = session(db.fresh(), config({}));
      await s.ingest([made('c-subnet20.xml')]);
      const up = (await s.hosts()).filter((h) => h.status === 'up').map((h) => h.ip);
      expect(up.length).toBeGreaterThanOrEqual(5);
      const seen = (await s.changes()).length;
      await s.ingest(['--scope', '127.0.20.0/23', made('d-subnet21.xml')]);
      const first = (await s.changes()).slice(seen);
      expect(first.filter((c) => (c.type & 2) !== 0)).toEqual([]);
      expect(first.filter((c) => c.type === 2048)).toHaveLength(1);
      expect(first.find((c) => c.type === 2048)!.details).toMatchObject({ held_hosts: up.length, up_hosts: up.length, host_share: 1 });

      // The next scan of the same subnet (its hosts and ports as they were) confirms the absence.
      const other = (await s.hosts()).filter((h) => h.status === 'up' && !up.includes(h.ip)).map((h) => h.ip);
      const seen2 = (await s.changes()).length;
      await s.ingest([await truncated(s, other, '2026-12-01T00:00:00Z', '127.0.20.0/23')]);
      const second = (await s.changes()).slice(seen2);
      expect(second.filter((c) => c.type === 2).map((c) => c.ip).sort()).toEqual([...up].sort());
      expect(second.some((c) => c.type === 2048)).toBe(false);
    });

    test('hosts held back that answer again on the next night are not reported at all', async () => {
      const s = session(db.fresh(), config({}));
      await s.ingest([tcp(1)]);
      const up = (await s.hosts()).filter((h) => h.status === 'up').map((h) => h.ip);
      await s.ingest([await truncated(s, up.slice(0, 2), '2025-03-03T12:00:00Z')]);
      const seen = (await s.changes()).length;
      await s.ingest([tcp(2)]);
      const next = (await s.changes()).slice(seen);
      expect(next.filter((c) => c.type === 2 || c.type === 18)).toEqual([]);
    });

    test('max_absence: 100% never holds back: the same scan takes the hosts down at once', async () => {
      const s = session(db.fresh(), config({ max_absence: '100%' }));
      await s.ingest([tcp(1)]);
      const up = (await s.hosts()).filter((h) => h.status === 'up').map((h) => h.ip);
      const seen = (await s.changes()).length;
      await s.ingest([await truncated(s, up.slice(0, 2), '2025-03-04T02:00:00Z')]);
      const added = (await s.changes()).slice(seen);
      expect(added.filter((c) => c.type === 2)).toHaveLength(up.length - 2);
      expect(added.some((c) => c.type === 2048)).toBe(false);
    });
  });
});
