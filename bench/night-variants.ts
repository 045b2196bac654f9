// The two ingests issue 17 adds to a database's lane (run-size.ts puts them in order):
// - the --baseline build's first load of night 0 into another fresh database, right after the
//   build measured did the same, so that both run under the same load;
// - the no-change night, night 2 re-dated (redated.ts), after night 2 and the dashboard step:
//   no change at all, the same hosts and ports, and (at sizes up to a /16, where listing every
//   host is cheap) every up host's last_seen brought forward to the new scan's start.
import { SCANNER, log, messageOf } from './common';
import { freshDb, type BenchDb } from './databases';
import { fmtInt } from './format';
import type { NightInfo } from './generate';
import { ingestNight, type SizeRun } from './ingest-step';
import { node } from './measure';
import type { DbKind } from './options';

/** Night 0 by the baseline build, into its own fresh database (dropped after); checked like night 0. */
export async function baselineFirstLoad(s: SizeRun, kind: DbKind): Promise<void> {
  if (!s.baseline) return;
  const db = freshDb(kind, s.opts, `p${s.size}_${kind}_base`);
  try {
    await ingestNight(s, db, s.nights[0], { id: 0 }, { baseline: s.baseline });
  } finally {
    await db.drop().catch((e: unknown) => log(`  could not drop the ${kind} baseline database: ${messageOf(e)}`));
  }
}

interface HostJson {
  ip: string;
  status: string;
  last_seen: string;
}

/** `portdelta hosts --json` of the build measured: every up host last seen at the night's start. */
async function lastSeenCheck(s: SizeRun, db: BenchDb, n: NightInfo): Promise<{ problems: string[]; what: string }> {
  const r = await node([s.build.bin, '--db', db.url, '--json', 'hosts', '--scanner', SCANNER]);
  if (r.code !== 0) return { problems: [`portdelta hosts --json exited ${r.code}: ${r.stderr.trim()}`], what: 'hosts' };
  const up = (JSON.parse(r.stdout) as HostJson[]).filter((h) => h.status === 'up');
  const start = Date.parse(n.start);
  const stale = up.filter((h) => Date.parse(h.last_seen) !== start);
  const problems: string[] = [];
  if (up.length !== n.hosts_up) problems.push(`hosts --json lists ${up.length} hosts up, expected ${n.hosts_up}`);
  if (stale.length) problems.push(`${stale.length} up hosts not last seen at ${n.start}, the re-dated scan's start (first: ${stale[0].ip} ${stale[0].last_seen})`);
  return { problems, what: `last_seen of ${fmtInt(up.length)} up hosts` };
}

/** The no-change night on `db`, whose last ingest was night 2. */
export async function noChangeNight(s: SizeRun, db: BenchDb, last: { id: number | null }): Promise<void> {
  const n = s.redated;
  if (!n) return;
  await ingestNight(s, db, n, last, { redated: true, ...(s.size >= 16 ? { extra: () => lastSeenCheck(s, db, n) } : {}) });
}
