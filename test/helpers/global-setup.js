// Probes PostgreSQL once for the whole run. Outside CI a missing server skips the PostgreSQL half
// of the database tests (a jest skip whose title gives the reason, helpers/db.ts); with
// PORTDELTA_TEST_PG=required or CI=true it fails the run.
const { Client } = require('pg');

module.exports = async function globalSetup() {
  const url = process.env.PORTDELTA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    process.env.PORTDELTA_TEST_PG_URL = url;
    process.env.PORTDELTA_TEST_PG_OK = '1';
  } catch (err) {
    const reason = `PostgreSQL is not reachable at ${url} (${err.message})`;
    if (process.env.PORTDELTA_TEST_PG === 'required' || process.env.CI === 'true') {
      throw new Error(`${reason}; PORTDELTA_TEST_PG=required / CI=true, so the run fails`);
    }
    process.env.PORTDELTA_TEST_PG_OK = '';
    process.env.PORTDELTA_TEST_PG_SKIP_REASON = reason;
    console.warn(`\n[portdelta tests] skipping the PostgreSQL variants: ${reason}. Set PORTDELTA_TEST_PG_URL or start PostgreSQL to run them.\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
};
