// The frozen list of input agents: --format looks names up here, detect() sniffs content in order.
import type { InputAgent } from './types';
import { UnknownFormatError } from '../common/errors';
import { nmapXml } from './nmap-xml';
import { nmapGrepable } from './nmap-grepable';
import { portdeltaCsv } from './portdelta-csv';
import { masscanXml } from './masscan-xml';
import { masscanJson } from './masscan-json';
import { masscanList } from './masscan-list';
import { zmapCsv } from './zmap-csv';
import { naabuJson } from './naabu-json';
import { fileEncoding, withoutBom } from './text-encoding';

// Order matters for detect(): the most specific sniffers first (masscan XML before nmap's, whose
// sniff accepts any <nmaprun>; zmap's, which accepts a bare address line, last).
const AGENTS: readonly InputAgent[] = Object.freeze([
  portdeltaCsv, masscanXml, nmapXml, nmapGrepable, masscanList, masscanJson, naabuJson, zmapCsv,
]);

const BY_NAME: ReadonlyMap<string, InputAgent> = new Map(
  AGENTS.flatMap((a) => [a.name, ...(a.aliases ?? [])].map((n) => [n.toLowerCase(), a] as const)),
);

export function formatNames(): string[] {
  return AGENTS.map((a) => a.name);
}

export function byName(name: string): InputAgent | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * The agent whose sniff accepts the head of the file; throws UnknownFormatError when none does, and
 * a ScanRejectedError naming the encoding for text portdelta does not read (UTF-16, UTF-32).
 */
export function detect(head: Buffer, source: string): InputAgent {
  fileEncoding(head, source);
  const text = withoutBom(head);
  const agent = AGENTS.find((a) => a.sniff(text));
  if (!agent) throw new UnknownFormatError(source, formatNames());
  return agent;
}
