// Writes an agent.yaml and runs `portdelta agent --config` as cron would.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { cli, type CliResult } from './cli';

export function runAgent(dir: string, config: Record<string, unknown>, name = 'agent.yaml'): Promise<CliResult> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, YAML.stringify(config));
  return cli(['agent', '--config', file]);
}
