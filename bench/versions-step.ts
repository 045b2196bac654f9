// The -sV step (issue 15): the size's three nights again as nmap -sV output (versions.ts), each
// ingested like its plain night into a fresh database of each kind, timed the same way and
// checked exactly against the plain night's rows plus the modelled service_changed
// (versions-expected.ts). run-size.ts runs each -sV night right after its plain night, so that
// the pair is measured under the same load: their night-2 rows are the cost of version data.
import path from 'node:path';
import { log, messageOf } from './common';
import { freshDb } from './databases';
import { fmt, mb } from './format';
import type { Manifest, NightInfo } from './generate';
import { ingestNight, type SizeRun } from './ingest-step';
import type { DbKind } from './options';
import { SERVICE_CHANGED, makeVersionNights } from './versions-expected';

/** Writes the -sV copies of the size's nights and their expectations; returns them. */
export function writeVersionNights(s: SizeRun, manifest: Manifest): NightInfo[] {
  log(`/${s.size}: writing the -sV copies of the three nights …`);
  const t0 = process.hrtime.bigint();
  const nights = makeVersionNights(s.dir, manifest);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const changed = nights.map((n) => Object.entries(n.counts).reduce((c, [mask, k]) => c + (Number(mask) & SERVICE_CHANGED ? k : 0), 0));
  log(`  ${fmt(mb(nights.reduce((sum, n) => sum + n.bytes, 0)), 1)} MB in ${fmt(wall)} s; service_changed expected per night: ${changed.join(', ')} (${nights.map((n) => path.basename(n.file)).join(', ')})`);
  return nights;
}

/** One database's -sV nights, ingested one at a time; after a failed night the later ones are skipped. */
export interface VersionLane {
  ingest(night: number): Promise<void>;
  drop(): Promise<void>;
}

export function versionLane(s: SizeRun, kind: DbKind, nights: readonly NightInfo[]): VersionLane {
  const db = freshDb(kind, s.opts, `p${s.size}_${kind}_sv`);
  const last: { id: number | null } = { id: 0 };
  let ok = true;
  return {
    async ingest(night) {
      if (ok) ok = await ingestNight(s, db, nights[night], last, { sv: true });
    },
    drop: () => db.drop().catch((e: unknown) => log(`  could not drop the ${kind} -sV database: ${messageOf(e)}`)),
  };
}
