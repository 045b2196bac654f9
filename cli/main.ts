// Parses the command line and runs one command; returns the exit code (only bin/ exits).
import { Command, CommanderError, Option } from 'commander';
import { describeError, PortdeltaError } from '../common/errors';
import { COMMANDS } from './commands';
import { EXIT, type GlobalOptions, type Io } from './io';
import { flagOpt, textOpt, type RawOptions } from './options';
import { databaseError, databaseFault } from '../db/db-errors';

const VERSION = '0.1.0';

function globalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--db <url>', 'database: a file, sqlite:PATH or postgres://… (env PORTDELTA_DB)'))
    .addOption(new Option('--config <file>', 'configuration file (env PORTDELTA_CONFIG, ./portdelta.yaml, /etc/portdelta/portdelta.yaml)'))
    .addOption(new Option('--json', 'machine-readable output'));
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = globalOptions(new Command('portdelta'))
    .description('What changed on your network since the last scan: ingest nmap/masscan results, report new hosts and ports.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  for (const spec of COMMANDS) {
    const cmd = globalOptions(program.command(spec.args ? `${spec.name} ${spec.args}` : spec.name))
      .description(spec.summary)
      .addHelpText('after', `\nExample:\n  ${spec.example}\n${spec.help ?? ''}`)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
    spec.options(cmd);
    cmd.action(async (...params: unknown[]) => {
      const command = params[params.length - 1] as Command;
      const opts = command.opts();
      // Global options may stand before or after the command name (DESIGN §5).
      const global: GlobalOptions = { ...pickGlobal(program.opts()), ...pickGlobal(opts), access: { command: spec.name, db: spec.db, uses: spec.uses }, env: io.env, cwd: io.cwd };
      const { run } = await spec.load();
      code = await run(command.args, opts, global, io);
    });
  }

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.error;
    }
    // A database error no command put into words: its reason and a remedy, never knex's SQL.
    const said = !(err instanceof PortdeltaError) && databaseFault(err) !== null ? databaseError('the database failed', err) : err;
    io.err(`portdelta: ${describeError(said)}\n`);
    if (!(err instanceof PortdeltaError) && io.env.PORTDELTA_DEBUG) io.err(`${(err as Error).stack}\n`);
    return EXIT.error;
  }
}

function pickGlobal(opts: RawOptions): GlobalOptions {
  const g: GlobalOptions = {};
  const db = textOpt(opts, 'db');
  const config = textOpt(opts, 'config');
  if (db !== undefined) g.db = db;
  if (config !== undefined) g.config = config;
  if (opts.json !== undefined) g.json = flagOpt(opts, 'json');
  return g;
}
