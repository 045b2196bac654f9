// For operators who prefer knex's own CLI (npx knex migrate:latest --knexfile dist/knexfile.js);
// portdelta itself migrates on first use.
import { knexConfig, DEFAULT_DB } from './db/connection';

const url = process.env.PORTDELTA_DB ?? DEFAULT_DB;

module.exports = {
  development: knexConfig(url).config,
  production: knexConfig(url).config,
  test: knexConfig(process.env.PORTDELTA_TEST_DB ?? 'sqlite::memory:').config,
};
