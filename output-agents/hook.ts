// Kind `hook`: runs a command without a shell for each change (or once per batch). The change goes
// in as JSON on stdin, as PORTDELTA_* environment variables and through {{placeholders}} in argv;
// a placeholder only ever fills in text inside one argument, whatever the hostname contains.
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { parseWith } from './kind-options';
import { runCommand } from './run-command';
import type { ChangeBatch, DeliveryDeps, OutputAgent, ReportChange } from './types';

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

/** Values of one change, by placeholder name; the same values go into PORTDELTA_<NAME>. */
function changeValues(c: ReportChange): Record<string, string> {
  return {
    id: String(c.id),
    ip: c.ip,
    proto: c.proto ?? '',
    port: c.port === null ? '' : String(c.port),
    type: String(c.type),
    types: c.types.join(','),
    hostname: c.hostname ?? '',
    previous_hostname: c.previous_hostname ?? '',
    scanner: c.scanner,
    detected_at: c.detected_at,
    confirms: c.confirms === null ? '' : String(c.confirms),
  };
}
const CHANGE_NAMES = Object.keys(changeValues({ types: [], policy: {} } as unknown as ReportChange));
const BATCH_NAMES = ['agent', 'count'];

const schema = z
  .object({
    command: z.array(z.string()).min(1, 'give the program and its arguments as a list, e.g. [/usr/local/bin/enrich, "{{ip}}"]'),
    per: z.enum(['change', 'batch']).default('change'),
    timeout: duration.default('30s'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.command.length && !o.command[0]) ctx.addIssue({ code: 'custom', path: ['command', 0], message: 'the program must not be empty' });
    const allowed = o.per === 'change' ? [...CHANGE_NAMES, ...BATCH_NAMES.filter((n) => n !== 'count')] : BATCH_NAMES;
    o.command.forEach((arg, i) => {
      for (const [, name] of arg.matchAll(PLACEHOLDER)) {
        if (!allowed.includes(name)) {
          ctx.addIssue({ code: 'custom', path: ['command', i], message: `unknown placeholder {{${name}}} with per: ${o.per}; use ${allowed.map((n) => `{{${n}}}`).join(' ')}` });
        }
      }
    });
  });
export type HookOptions = z.output<typeof schema>;

// Hostnames come from the network; a NUL byte cannot pass through argv or the environment at all.
const clean = (s: string) => s.replace(/\0/g, '');
const fill = (arg: string, values: Record<string, string>) => arg.replace(PLACEHOLDER, (_, name: string) => clean(values[name] ?? ''));

function environment(values: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...CHANGE_NAMES, ...BATCH_NAMES]) delete env[`PORTDELTA_${name.toUpperCase()}`];
  for (const [name, value] of Object.entries(values)) env[`PORTDELTA_${name.toUpperCase()}`] = clean(value);
  return env;
}

/** A failure after some changes went out: those stay delivered, the rest are retried. */
export class PartialDeliveryError extends Error {
  constructor(message: string, readonly deliveredIds: number[]) {
    super(message);
  }
}

async function perChange(batch: ChangeBatch, o: HookOptions, deps: DeliveryDeps): Promise<void> {
  const delivered: number[] = [];
  for (const c of batch.changes) {
    const values = { ...changeValues(c), agent: batch.agent };
    try {
      await runCommand({ argv: o.command.map((a) => fill(a, values)), env: environment(values), stdin: JSON.stringify(c) + '\n', timeoutMs: o.timeout });
    } catch (e) {
      throw new PartialDeliveryError(`change ${c.id}: ${(e as Error).message}`, delivered);
    }
    delivered.push(c.id);
    await deps.progress?.([c.id]);
  }
}

export const hookAgent: OutputAgent<HookOptions> = {
  kind: 'hook',
  parseOptions: (raw) => parseWith(schema, raw),
  async deliver(batch, options, deps) {
    if (options.per === 'change') return perChange(batch, options, deps);
    const values = { agent: batch.agent, count: String(batch.changes.length) };
    await runCommand({
      argv: options.command.map((a) => fill(a, values)),
      env: environment(values),
      stdin: JSON.stringify(batch.changes) + '\n',
      timeoutMs: options.timeout,
    });
  },
};
