// Migration 011 (seen by scan, issue 17 point 5) on a store the release before it filled: the rows
// of demo nights 1-4 as that release stored them (tools/make-migration-fixture.sh), migrated in
// place, answer every read command exactly as that release answered; nights 5 and 6 ingested by
// this code then answer as that release answered after ingesting them itself. Down again, the
// rows hold what the views derived, and up again the answers stay.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { forEachDb, withDb } from '../helpers/db';
import { cli, cliJson, ROOT } from '../helpers/cli';
import { insertOldRows, migrateThrough, MIGRATION_FIXTURES, oldRows } from '../helpers/old-release';
import { migrationNames } from '../../db/migrations';
import { openDb } from '../../db/connection';

const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(MIGRATION_FIXTURES, name), 'utf8')) as Record<string, unknown>;
const { now, commands } = fixture('commands.json') as { now: string; commands: string[][] };
const CONFIG = path.join(MIGRATION_FIXTURES, 'portdelta.yaml');
const env = { PORTDELTA_NOW: now };

/** Every command of commands.json, as this code answers it: { "args": answer }. */
async function answers(url: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const args of commands) out[args.join(' ')] = await cliJson(['--db', url, '--config', CONFIG, ...args], { env });
  return out;
}

/** A night of both scanners, as the fixture script ingested it (paths relative to the repository: the scans' source). */
async function ingestNight(url: string, n: number): Promise<void> {
  for (const scanner of ['scan-in', 'scan-out']) {
    const dir = path.join('demo/lab-a', `night${n}`, scanner);
    const files = fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.xml')).sort().map((f) => path.join(dir, f));
    await cliJson(['--db', url, '--config', CONFIG, 'ingest', '--scanner', scanner, ...files], { env });
  }
}

const STATE_KEYS = { host: 'scanner_id, ip_key', port: 'scanner_id, ip_key, proto, port' };

/** The rows of a table or view in key order, with the columns of the old layout. */
async function stateRows(knex: Knex, from: string, kind: 'host' | 'port', columns: string[]): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = await knex(from).select(columns).orderByRaw(STATE_KEYS[kind]);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v == null ? v : String(v)])));
}

forEachDb('migration 011_seen_by_scan on a store of the release before it', (db) => {
  const url = db.fresh();

  test('the old store is rebuilt at 010 and migrated in place', async () => {
    const rows = oldRows();
    expect(rows.knex_migrations.rows.map((r) => r[0])).toEqual(migrationNames().slice(0, migrationNames().indexOf('010_block_counts') + 1));
    const old = await openDb(url, { migrate: false });
    try {
      await migrateThrough(old.knex, '010_block_counts');
      expect(await old.knex.schema.hasColumn('host_state', 'live_seq')).toBe(false);
      await insertOldRows(old.knex, db.kind, rows);
    } finally {
      await old.close();
    }
    expect((await cli(['--db', url, 'migrate'])).code).toBe(0);
    await withDb(url, async ({ knex }) => {
      expect(await knex.schema.hasColumn('host_state', 'live_seq')).toBe(true);
      // every row as the old release wrote it: exact, so live_seq NULL (011's header)
      expect(Number((await knex('host_state').whereNotNull('live_seq').count({ n: '*' }).first())!.n)).toBe(0);
      expect(Number((await knex('port_state').count({ n: '*' }).first())!.n)).toBe(rows.port_state.rows.length);
    });
  }, 120_000);

  test('every read command answers as the old release did after night 4', async () => {
    expect(await answers(url)).toEqual(fixture('old-answers-after-4.json'));
  }, 120_000);

  test('nights 5 and 6 ingested by this code: every answer as the old release gave after ingesting them', async () => {
    await ingestNight(url, 5);
    await ingestNight(url, 6);
    expect(await answers(url)).toEqual(fixture('old-answers-after-6.json'));
  }, 180_000);

  test('down to 010: the rows hold what host_now and port_now derived', async () => {
    // the old layout's columns, as the old release's rows have them
    const { host_state: { columns: hostColumns }, port_state: { columns: portColumns } } = oldRows();
    await withDb(url, async ({ knex }) => {
      const derived = [await stateRows(knex, 'host_now', 'host', hostColumns), await stateRows(knex, 'port_now', 'port', portColumns)];
      await knex.migrate.down();
      expect(await knex.schema.hasColumn('host_state', 'live_seq')).toBe(false);
      expect([await stateRows(knex, 'host_state', 'host', hostColumns), await stateRows(knex, 'port_state', 'port', portColumns)]).toEqual(derived);
      expect(derived[1].length).toBeGreaterThan(40);
    });
    // and up again: the answers are still the old release's
    expect((await cli(['--db', url, 'migrate'])).code).toBe(0);
    expect(await answers(url)).toEqual(fixture('old-answers-after-6.json'));
  }, 120_000);
});
