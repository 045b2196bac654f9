// The -sV step (issue 15): the size's three nights again as nmap -sV output (versions.ts), each
// ingested like the plain nights into a fresh database of each kind, timed the same way and
// checked exactly against the plain night's rows plus the modelled service_changed
// (versions-expected.ts). Its night-2 row beside the plain one is the cost of version data.
import path from 'node:path';
import { SCANNER, log, messageOf } from './common';
import { freshDb } from './databases';
import { fmt, mb } from './format';
import type { Manifest, NightInfo } from './generate';
import { ingestNight, type SizeRun } from './ingest-step';
import { makeVersionNights } from './versions-expected';

/** Writes the -sV nights, ingests them on each database; returns them for the document's sizes table. */
export async function versionSteps(s: SizeRun, manifest: Manifest): Promise<NightInfo[]> {
  log(`/${s.size}: writing the -sV copies of the three nights …`);
  const t0 = process.hrtime.bigint();
  const nights = makeVersionNights(s.dir, manifest);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const svCount = nights.reduce((sum, n) => sum + Object.entries(n.counts).reduce((c, [mask, k]) => c + (Number(mask) & 128 ? k : 0), 0), 0);
  log(`  ${fmt(mb(nights.reduce((sum, n) => sum + n.bytes, 0)), 1)} MB in ${fmt(wall)} s, ${svCount} service_changed expected (${nights.map((n) => path.basename(n.file)).join(', ')})`);
  for (const kind of s.opts.dbs) {
    const db = freshDb(kind, s.opts, `p${s.size}_${kind}_sv`);
    try {
      const last: { id: number | null } = { id: 0 };
      for (const n of nights) if (!(await ingestNight(s, db, n, last, true))) break;
    } finally {
      await db.drop().catch((e: unknown) => log(`  could not drop the ${kind} -sV database (scanner ${SCANNER}): ${messageOf(e)}`));
    }
  }
  return nights;
}
