// The configuration as one command sees it: validated as a whole, with ${VAR} resolved only in
// the keys the command declares it uses (cli/commands.ts), so a cron job that only reads needs
// none of serve's or the mail agents' secrets in its environment.
import { loadConfig, type Config } from '../config/config';
import type { GlobalOptions } from './io';

export function loadCommandConfig(global: GlobalOptions): { config: Config; file: string | null } {
  const a = global.access;
  // A command that declares no `uses` (yet) gets every ${VAR} resolved, as before.
  const env = global.env ?? process.env;
  return loadConfig(global.config ?? env.PORTDELTA_CONFIG, { ...(a && { uses: a.uses, command: a.command }), env });
}
