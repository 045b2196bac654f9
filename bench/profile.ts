// The profile of a night-2 ingest, and of the no-change night after it: a separate, untimed pass, so the timed figures carry no
// profiler overhead. node --cpu-prof for the CPU, sql-profile.js for the statements it waits on.
import fs from 'node:fs';
import path from 'node:path';
import { SCANNER, log, messageOf } from './common';
import { summarise } from './cpuprofile';
import { freshDb } from './databases';
import type { NightInfo } from './generate';
import { node } from './measure';
import type { DbKind, Options } from './options';
import type { Profile } from './results';
import type { SqlStat } from './sql-profile';

/** What the profiled ingest needs: the build, the scans and their config. */
interface ProfileInput {
  size: number;
  dir: string;
  config: string;
  nights: readonly NightInfo[];
  /** The no-change night, profiled after night 2 when given. */
  redated?: NightInfo;
  bin: string;
  dist: string;
}

function readSql(file: string): SqlStat[] {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SqlStat[];
  } catch {
    return []; // no SQL timings
  }
}

/** One profiled ingest of `night` (its file named for `step`) into `db`, which holds the nights before it. */
async function profiled(p: ProfileInput, kind: DbKind, ingest: readonly string[], night: NightInfo, step: string, opts: Options): Promise<Profile> {
  const profDir = path.join(opts.out, 'profiles');
  fs.mkdirSync(profDir, { recursive: true });
  const name = `ingest-p${p.size}-${night.file.replace(/\.xml$/, '')}-${kind}.cpuprofile`;
  fs.rmSync(path.join(profDir, name), { force: true });
  const sqlFile = path.join(profDir, name.replace(/\.cpuprofile$/, '.sql.json'));
  const r = await node(
    ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', name, '-r', path.join(__dirname, 'sql-profile.js'), ...ingest, path.join(p.dir, night.file)],
    { env: { BENCH_SQL_PROFILE: sqlFile } },
  );
  if (r.code !== 0) throw new Error(`profiled ingest of ${night.file} exited ${r.code}: ${r.stderr.trim()}`);
  const s = summarise(path.join(profDir, name), 20, p.dist);
  return { size: p.size, db: kind, step, file: path.join(profDir, name), wall: r.wall, cpu: r.cpu, sql: readSql(sqlFile), ...s };
}

/** Night 2's profile on one database, then the no-change night's (night 2 re-dated) on top of it. */
async function profileOn(kind: DbKind, p: ProfileInput, opts: Options, profiles: Profile[]): Promise<void> {
  const db = freshDb(kind, opts, `p${p.size}_${kind}_prof`);
  const ingest = [p.bin, '--db', db.url, '--config', p.config, '--json', 'ingest', '--scanner', SCANNER];
  try {
    log(`/${p.size} ${kind}: profiling the night-2 ingest (night 0 and 1 loaded first, untimed)${p.redated ? ', then the no-change night' : ''}`);
    for (const n of p.nights.slice(0, 2)) {
      const r = await node([...ingest, path.join(p.dir, n.file)]);
      if (r.code !== 0) throw new Error(`ingest ${n.file} for the profile exited ${r.code}: ${r.stderr.trim()}`);
    }
    profiles.push(await profiled(p, kind, ingest, p.nights[2], 'night-2 ingest', opts));
    if (p.redated) profiles.push(await profiled(p, kind, ingest, p.redated, 'no-change night (night 2 re-dated)', opts));
  } finally {
    await db.drop().catch(() => undefined);
  }
}

/** Profiles the night-2 ingest and the no-change night on each database; a failed profile is logged, not a failure. */
export async function profileSize(p: ProfileInput, opts: Options, profiles: Profile[]): Promise<void> {
  for (const kind of opts.dbs) {
    try {
      await profileOn(kind, p, opts, profiles);
    } catch (e) {
      log(`  profile failed: ${messageOf(e)}`);
    }
  }
}
