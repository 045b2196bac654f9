// Migration 009 (service fingerprints and certificates) on a store that has history: rolled back
// to the previous schema, the store is refused by readers until migrated; migrated again, every
// change answers as before (with no service or certificate values: an 008 store had none), and the
// next -sV scan starts the fingerprints afresh.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cli, cliJson, FIXTURES } from '../helpers/cli';
import { openDb } from '../../db/connection';
import { migrationNames } from '../../db/migrations';
import type { ChangeRow } from '../../common/types';
import type { StateRow } from '../../db/query-repo';

const night = (n: number) => path.join(FIXTURES, `made/service/n${n}-v4.xml`);

forEachDb('migration 009_service_cert', (db) => {
  test('down to 008, refused by readers, migrated back up: the history answers as before, without service values', async () => {
    const url = db.fresh();
    await cliJson(['--db', url, 'ingest', '--scanner', 'loop4', night(1), night(2)]);
    const before = await cliJson<ChangeRow[]>(['--db', url, 'changes']);
    expect(before.filter((c) => c.service || c.cert)).toHaveLength(3);

    const store = await openDb(url, { migrate: false });
    try {
      // the later migrations first, then 009 itself
      for (let n = migrationNames().length; n > migrationNames().indexOf('009_service_cert'); n--) await store.knex.migrate.down();
      expect(await store.knex.schema.hasTable('port_facts')).toBe(false);
      expect(await store.knex.schema.hasTable('open_port_counts')).toBe(true);
      expect(await store.knex.schema.hasColumn('changes', 'previous_service')).toBe(false);
    } finally {
      await store.close();
    }
    const refused = await cli(['--db', url, 'changes']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('not yet applied: 009_service_cert')]);

    expect((await cli(['--db', url, 'migrate'])).code).toBe(0);
    const after = await cliJson<ChangeRow[]>(['--db', url, 'changes']);
    const blank = { service: null, previous_service: null, cert: null, previous_cert: null };
    expect(after).toEqual(before.map((c) => ({ ...c, ...blank })));

    const [next] = await cliJson<Array<{ status: string; changes: Record<string, number> }>>(['--db', url, 'ingest', '--scanner', 'loop4', night(5)]);
    expect([next.status, next.changes]).toEqual(['applied', {}]);
    const state = await cliJson<StateRow[]>(['--db', url, 'state']);
    expect(state.find((r) => r.port === 8008)?.service?.version).toBe('1.25.3');
  });
});
