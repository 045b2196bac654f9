// What the -sV copies of the nights must report (docs/change-types.md, "Services and
// certificates"): the plain night's rows, plus service_changed (128) for every port reported open
// whose version differs from the last one probed on it, on whatever night that was (a port that
// closed or whose host went down keeps its last fingerprint). The first fingerprint of a port is
// stored, not reported. The flag joins the port's own change row of that night (32 → 160, a
// returning host's 33 → 161); an unchanged open port gets a row of its own (128, the host's
// current name, not returning). Computed from the model's nights, never from the files.
import fs from 'node:fs';
import path from 'node:path';
import { countByType, sortRows } from './compare';
import type { Expected, Manifest, NightInfo } from './generate';
import { NIGHTS, nightsOf, type ModelRow } from './model';
import { svFile, versionOf, writeVersionNight } from './versions';

export const SERVICE_CHANGED = 128;

/** One expected service_changed: the port and its host's name that night. */
export interface ServiceChange {
  ip: string;
  port: number;
  hostname: string | null;
}

const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** The service_changed of each night for the first `addresses` addresses of 10.0.0.0/8. */
function serviceChanges(seed: number, addresses: number): ServiceChange[][] {
  const out: ServiceChange[][] = Array.from({ length: NIGHTS }, () => []);
  for (let i = 0; i < addresses; i++) {
    const addr = 10 * 2 ** 24 + i;
    const obs = nightsOf(seed, i);
    const lastProbed = new Map<number, number>(); // port → the night it was last seen open (probed)
    for (let k = 0; k < NIGHTS; k++) {
      if (!obs[k].up) continue;
      for (const port of obs[k].ports) {
        const j = lastProbed.get(port);
        if (j !== undefined && versionOf(seed, addr, port, j) !== versionOf(seed, addr, port, k)) out[k].push({ ip: dotted(addr), port, hostname: obs[k].name });
        lastProbed.set(port, k);
      }
    }
  }
  return out;
}

/** The plain night's expectation with its service changes merged in. */
export function withServiceChanges(plain: Expected, changes: readonly ServiceChange[]): Expected {
  if (!plain.rows) {
    if (changes.length) throw new Error(`model: night ${plain.night} has service changes but no rows kept`);
    return { ...plain, file: svFile(plain.file) };
  }
  const rows = plain.rows.map((r) => ({ ...r }));
  const byPort = new Map<string, ModelRow>();
  for (const r of rows) if (r.port !== null) byPort.set(`${r.ip}/${r.port}`, r);
  for (const c of changes) {
    const row = byPort.get(`${c.ip}/${c.port}`);
    // only a port open again (32, or 33 on a returning host) can change on the night its row is written
    if (row && (row.type & ~1) !== 32) throw new Error(`model: service change on ${c.ip}/${c.port} joins a row of type ${row.type}`);
    if (row) row.type |= SERVICE_CHANGED;
    else rows.push({ ip: c.ip, proto: 'tcp', port: c.port, type: SERVICE_CHANGED, hostname: c.hostname, previous_hostname: null, returning: false });
  }
  return { ...plain, file: svFile(plain.file), change_count: rows.length, counts: countByType(rows), rows: sortRows(rows) };
}

/** Writes the -sV copy of every night and its expected-nightK-sv.json beside the plain ones. */
export function makeVersionNights(dir: string, manifest: Manifest): NightInfo[] {
  const changes = serviceChanges(manifest.seed, manifest.addresses);
  return manifest.nights.map((n) => {
    const plain = JSON.parse(fs.readFileSync(path.join(dir, n.expected), 'utf8')) as Expected;
    const exp = withServiceChanges(plain, changes[n.night]);
    const bytes = writeVersionNight(path.join(dir, n.file), path.join(dir, exp.file), manifest.seed, n.night);
    const expected = `expected-night${n.night}-sv.json`;
    fs.writeFileSync(path.join(dir, expected), JSON.stringify(exp));
    return { ...n, file: exp.file, bytes, expected, change_count: exp.change_count, counts: exp.counts };
  });
}
