// Kind `syslog`: each change as one RFC 5424 message with a CEF or JSON body (ECS, OCSF, or
// portdelta's own record) to a syslog receiver over UDP, TCP or TLS (syslog-transport.ts). One
// connection per run; a failure sends the whole batch again next run, and the stable event id in
// every message (eventId, CEF externalId, ECS event.id, OCSF metadata.uid) lets the SIEM drop a
// repeat. UDP has no acknowledgement: use TCP or TLS where each change must arrive.
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { duration } from '../common/config-fields';
import { DeliveryError } from '../common/errors';
import { isDnsName } from './inventory-options';
import { parseWith } from './kind-options';
import { siemRecords } from './siem/records';
import { siemFormat, SIEM_FORMAT_NAMES } from './siem/registry';
import { FACILITIES, syslogMessage, type Facility } from './syslog-message';
import { sendSyslog, type Transport } from './syslog-transport';
import { CWD_CONTEXT, type OutputAgent } from './types';

const DEFAULT_PORT: Record<Transport, number> = { udp: 514, tcp: 514, tls: 6514 };
const PRINTABLE = /^[\x21-\x7e]+$/;

const schema = z
  .object({
    // 'siem:6514' or '[::1]' would fail only when sending, on every run.
    host: z.string().refine((h) => isIP(h) !== 0 || isDnsName(h), 'a host name or an IP address (without brackets; the port goes in port:)'),
    port: z.number().int().min(1).max(65535).optional(),
    transport: z.enum(['udp', 'tcp', 'tls']).default('tls'),
    format: z.enum(['cef', 'json', ...SIEM_FORMAT_NAMES.filter((f) => f !== 'cef')]).default('cef'),
    facility: z.enum(Object.keys(FACILITIES) as [Facility, ...Facility[]]).default('local0'),
    app_name: z.string().max(48).regex(PRINTABLE, 'printable ASCII without spaces (RFC 5424 APP-NAME)').default('portdelta'),
    hostname: z.string().max(255).regex(PRINTABLE, 'printable ASCII without spaces (RFC 5424 HOSTNAME)').optional(),
    // RFC 5612's example number: give your organisation's IANA enterprise number.
    enterprise_id: z.number().int().min(1).default(32473),
    ca_file: z.string().min(1).optional(),
    timeout: duration.default('10s'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.ca_file && o.transport !== 'tls') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ca_file'], message: 'a CA is for transport: tls only' });
  });
export type SyslogOptions = z.output<typeof schema>;

function caOf(options: SyslogOptions): Buffer | undefined {
  if (!options.ca_file) return undefined;
  try {
    return fs.readFileSync(options.ca_file);
  } catch (e) {
    throw new DeliveryError(`cannot read ca_file ${options.ca_file}: ${(e as Error).message}`, { cause: e, remedy: 'give the PEM file of the CA that signed the syslog server\'s certificate as ca_file' });
  }
}

function remedyFor(e: NodeJS.ErrnoException, where: string, transport: Transport): string {
  if (/CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/.test(String(e.code))) return `give the CA that signed ${where}'s certificate as ca_file (certificates are always verified) and check that it names the host`;
  if (e.code === 'ETIMEDOUT') return `check that ${where} answers; raise the agent's timeout if it is only slow`;
  return `check that a syslog receiver listens on ${where} for ${transport.toUpperCase()} and is reachable from this machine`;
}

export const syslogAgent: OutputAgent<SyslogOptions> = {
  kind: 'syslog',
  parseOptions(raw, ctx = CWD_CONTEXT) {
    const r = parseWith(schema, raw, ctx);
    return r.value?.ca_file ? { value: { ...r.value, ca_file: path.resolve(ctx.baseDir, r.value.ca_file) } } : r;
  },
  async deliver(batch, options, deps) {
    const port = options.port ?? DEFAULT_PORT[options.transport];
    const where = `${options.host}:${port}`;
    const header = { ...options, hostname: options.hostname ?? os.hostname() };
    const records = siemRecords(batch, options.format === 'json' ? 'json' : siemFormat(options.format));
    const now = deps.now();
    const messages = records.map((r) => syslogMessage(r, header, now));
    const peer = { host: options.host, port, transport: options.transport, ca: caOf(options), timeoutMs: options.timeout };
    await sendSyslog(peer, messages).catch((e: NodeJS.ErrnoException) => {
      throw new DeliveryError(`syslog agent ${batch.agent}: sending to ${where} over ${options.transport.toUpperCase()} failed: ${e.message}`, { cause: e, remedy: remedyFor(e, where, options.transport) });
    });
  },
};
