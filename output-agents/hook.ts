// Kind `hook`: runs a command without a shell for each change (or once per batch). The change goes
// in as JSON on stdin, as PORTDELTA_* environment variables and through {{placeholders}} in argv;
// a placeholder only ever fills in text inside one argument, whatever the hostname contains.
// The hook gets a small environment, not portdelta's (which may hold a database or SMTP password).
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { DeliveryError } from '../common/errors';
import { parseWith } from './kind-options';
import { runCommand } from './run-command';
import { baselineRecord } from './overview';
import { serviceWords } from '../common/service-facts';
import type { BaselineSummary, ChangeBatch, DeliveryDeps, OutputAgent, ReportChange } from './types';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Values of one change, by placeholder name; the same values go into PORTDELTA_<NAME>. */
function changeValues(c: ReportChange): Record<string, string> {
  return {
    id: String(c.id),
    ip: c.ip ?? '', // a scanner event has no address
    proto: c.proto ?? '',
    port: c.port === null ? '' : String(c.port),
    type: String(c.type),
    types: c.types.join(','),
    hostname: c.hostname ?? '',
    previous_hostname: c.previous_hostname ?? '',
    scanner: c.scanner,
    detected_at: c.detected_at,
    confirms: c.confirms === null ? '' : String(c.confirms),
    baseline: c.baseline ? '1' : '',
    service: c.service ? serviceWords(c.service) : '',
    previous_service: c.previous_service ? serviceWords(c.previous_service) : '',
    cert_sha256: c.cert?.sha256 ?? '',
    previous_cert_sha256: c.previous_cert?.sha256 ?? '',
    cert_not_after: c.cert?.not_after ?? '',
  };
}

/** A baseline summary as a per-change hook sees it: no ip nor port, `baseline` 1, types 'baseline'. */
function summaryValues(b: BaselineSummary): Record<string, string> {
  const none = Object.fromEntries(CHANGE_NAMES.map((n) => [n, '']));
  return { ...none, type: '0', types: 'baseline', scanner: b.scanner, detected_at: b.detected_at, baseline: '1' };
}
const CHANGE_NAMES = Object.keys(changeValues({ types: [], policy: {} } as unknown as ReportChange));
const BATCH_NAMES = ['agent', 'count'];
/** What a hook gets of portdelta's environment without asking (`env` adds more). */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const hasPlaceholder = (arg: string) => [...arg.matchAll(PLACEHOLDER)].length > 0;

const schema = z
  .object({
    command: z.array(z.string()).min(1, 'give the program and its arguments as a list, e.g. [/usr/local/bin/enrich, "{{ip}}"]'),
    per: z.enum(['change', 'batch']).default('change'),
    timeout: duration.default('30s'),
    env: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and _'))).default([]),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.command.length && !o.command[0]) ctx.addIssue({ code: 'custom', path: ['command', 0], message: 'the program must not be empty' });
    if (o.command.length && hasPlaceholder(o.command[0])) {
      ctx.addIssue({ code: 'custom', path: ['command', 0], message: 'the program cannot contain a placeholder (a name from the network would choose what runs); put {{…}} in the arguments' });
    }
    const allowed = o.per === 'change' ? [...CHANGE_NAMES, ...BATCH_NAMES.filter((n) => n !== 'count')] : BATCH_NAMES;
    o.command.forEach((arg, i) => {
      if (i === 0) return;
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

/** BASE_ENV and the agent's `env` names from portdelta's environment, then the change's PORTDELTA_* values. */
function environment(values: Record<string, string>, pass: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...pass]) if (process.env[name] !== undefined) env[name] = process.env[name];
  for (const name of [...CHANGE_NAMES, ...BATCH_NAMES]) delete env[`PORTDELTA_${name.toUpperCase()}`];
  for (const [name, value] of Object.entries(values)) env[`PORTDELTA_${name.toUpperCase()}`] = clean(value);
  return env;
}

/** A failure after some changes went out: those stay delivered, the rest are retried. */
function partial(what: string, e: unknown, deliveredIds: number[]): DeliveryError {
  const remedy = e instanceof DeliveryError ? e.remedy! : 'check the hook\'s command';
  return new DeliveryError(`${what}: ${(e as Error).message}`, { cause: e, remedy, deliveredIds });
}

async function perChange(batch: ChangeBatch, o: HookOptions, deps: DeliveryDeps): Promise<void> {
  const delivered: number[] = [];
  for (const b of batch.baselines ?? []) {
    const values = { ...summaryValues(b), agent: batch.agent };
    try {
      await runCommand({ argv: o.command.map((a) => fill(a, values)), env: environment(values, o.env), stdin: JSON.stringify(baselineRecord(b)) + '\n', timeoutMs: o.timeout });
    } catch (e) {
      throw partial(`baseline of ${b.scanner}`, e, delivered);
    }
    delivered.push(...b.change_ids);
    await deps.progress?.(b.change_ids);
  }
  for (const c of batch.changes) {
    const values = { ...changeValues(c), agent: batch.agent };
    try {
      await runCommand({ argv: o.command.map((a) => fill(a, values)), env: environment(values, o.env), stdin: JSON.stringify(c) + '\n', timeoutMs: o.timeout });
    } catch (e) {
      throw partial(`change ${c.id}`, e, delivered);
    }
    delivered.push(c.id);
    await deps.progress?.([c.id]);
  }
}

export const hookAgent: OutputAgent<HookOptions> = {
  kind: 'hook',
  parseOptions: (raw, ctx) => parseWith(schema, raw, ctx),
  async deliver(batch, options, deps) {
    if (options.per === 'change') return perChange(batch, options, deps);
    // Baseline summaries ("baseline": true) come first in the array, one per scanner.
    const records = [...(batch.baselines ?? []).map(baselineRecord), ...batch.changes];
    const values = { agent: batch.agent, count: String(records.length) };
    await runCommand({
      argv: options.command.map((a) => fill(a, values)),
      env: environment(values, options.env),
      stdin: JSON.stringify(records) + '\n',
      timeoutMs: options.timeout,
    });
  },
};
