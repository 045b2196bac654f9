import { EXIT, type Action } from './io';
import { withContext } from './context';

export const run: Action = async (_args, _opts, global, io) =>
  withContext(global, async ({ db }) => {
    const [done] = await db.knex.migrate.list();
    io.out(global.json ? JSON.stringify({ database: db.where, migrations: done.length }) + '\n' : `schema is current (${done.length} migrations) in ${db.where}\n`);
    return EXIT.ok;
  });
