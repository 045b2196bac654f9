// The ground truth of every scanner stream in the fixtures, reproduced through the CLI on both
// databases: after each file, the new rows of `changes --json` are exactly that file's events.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import type { ChangeRow } from '../../common/types';
import { cliJson, SCANS } from '../helpers/cli';
import { fromChange, fromOracle, isPositive, sorted, streams, type Comparable } from '../helpers/oracle';

type Change = ChangeRow;

function configFor(scanner: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-cfg-'));
  const file = path.join(dir, 'portdelta.yaml');
  // -oG headers carry local time without a zone; the fixtures were made with TZ=UTC.
  fs.writeFileSync(file, `scanners:\n  ${scanner}:\n    timezone: UTC\n`);
  return file;
}

async function replay(db: string, config: string, scanner: string, file: string, lastId: number): Promise<{ rows: Change[]; lastId: number }> {
  await cliJson(['--db', db, '--config', config, 'ingest', '--scanner', scanner, file]);
  const rows = await cliJson<Change[]>(['--db', db, 'changes', '--after-id', String(lastId)]);
  return { rows, lastId: rows.reduce((m, r) => Math.max(m, r.id), lastId) };
}

forEachDb('scanner streams of the fixtures', (db) => {
  for (const stream of streams()) {
    test(`${stream.scenario} ${stream.scanner}: nmap XML gives exactly the ground-truth events after each file`, async () => {
      const url = db.fresh();
      const config = configFor(stream.scanner);
      let lastId = 0;
      for (const f of stream.files) {
        const r = await replay(url, config, stream.scanner, path.join(SCANS, stream.scenario, f.file), lastId);
        lastId = r.lastId;
        expect({ file: f.file, events: sorted(r.rows.map(fromChange)) }).toEqual({ file: f.file, events: sorted(f.events.map(fromOracle)) });
      }
    });

    test(`${stream.scenario} ${stream.scanner}: the -oG files find every positive event and none the XML oracle lacks`, async () => {
      const url = db.fresh();
      const config = configFor(stream.scanner);
      let lastId = 0;
      for (const f of stream.files) {
        const gnmap = path.join(SCANS, stream.scenario, f.file.replace(/\.xml$/, '.gnmap'));
        const r = await replay(url, config, stream.scanner, gnmap, lastId);
        lastId = r.lastId;
        const got = sorted(r.rows.map(fromChange));
        const want = sorted(f.events.map(fromOracle));
        const k = (c: Comparable) => JSON.stringify(c);
        const wantKeys = new Set(want.map(k));
        expect({ file: gnmap, extra: got.filter((c) => !wantKeys.has(k(c))) }).toEqual({ file: gnmap, extra: [] });
        const gotKeys = new Set(got.map(k));
        expect({ file: gnmap, missing: want.filter((c) => isPositive(c) && !gotKeys.has(k(c))) }).toEqual({ file: gnmap, missing: [] });
      }
    });
  }
});
