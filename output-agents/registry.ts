// Every kind of output agent, in one frozen list (STYLE.md): a new kind is one file and one line here.
import type { OutputAgent } from './types';
import { email } from './email';
import { fileAgent } from './file';
import { hookAgent } from './hook';
import { netboxAgent } from './netbox';
import { phpipamAgent } from './phpipam';
import { syslogAgent } from './syslog';
import { webhookAgent } from './webhook';

// Each kind has its own options type; the list can only hold them as one type, and a kind's options
// reach it only through its own parseOptions, so nothing is lost by erasing the parameter here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const KINDS: readonly OutputAgent<any>[] = Object.freeze([
  email,
  fileAgent,
  hookAgent,
  syslogAgent,
  webhookAgent,
  phpipamAgent,
  netboxAgent,
]);

export function byKind(kind: string): OutputAgent<unknown> | undefined {
  return KINDS.find((k) => k.kind === kind);
}

export function kindNames(): string[] {
  return KINDS.map((k) => k.kind);
}
