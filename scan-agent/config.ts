// agent.yaml: the phpIPAM scan agent's settings (same names), plus `subnets` for use without
// phpIPAM, nmap_args, ca_file and the agent's folders. Validated as a whole; every problem has its path.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseYamlWith, readConfigFile } from '../common/yaml-config';
import { parseTarget } from '../common/ip';
import { isLoopbackHost } from '../common/loopback';
import { parseNmapCommandLine, tokenize } from '../common/nmap-options';
import { uploadScannerName } from '../config/server-config';

const PHPIPAM_KEYS = ['api_url', 'client_name', 'client_token', 'scanagent_code'] as const;
/** nmap options that would write elsewhere or scan other targets than the agent's subnets. */
const FORBIDDEN = new Set(['o', 'oX', 'oN', 'oG', 'oA', 'oS', 'oM', 'oH', 'iL', 'iR', 'resume', 'excludefile', 'append-output', 'h', 'V']);

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;
const defaultDir = (system: string, user: string): string => (isRoot() ? system : path.join(os.homedir(), user));

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

export const agentSchema = z
  .object({
    api_url: httpUrl.optional(),
    client_name: z.string().min(1).optional(),
    client_token: z.string().min(1).optional(),
    scanagent_code: z.string().min(1).optional(),
    http_server: httpUrl.default('http://127.0.0.1'),
    // Used only when http_server names no port (phpIPAM's setting); see uploadUrl.
    http_port: z.number().int().min(1).max(65535).optional(),
    auth_token: z.string().min(1).optional(),
    cache_expire_time: z.number().int().min(0).default(1800),
    epoch_time_offset: z.number().int().default(0),
    subnets: z.array(z.string().refine((s) => parseTarget(s) !== null, 'not a CIDR or address (e.g. 10.66.1.0/24)')).optional(),
    nmap_args: z.union([z.string().transform((s) => tokenize(s).words), z.array(z.string())]).optional(),
    nmap_path: z.string().min(1).default('nmap'),
    ca_file: z.string().min(1).optional(),
    cache_dir: z.string().min(1).default(() => defaultDir('/var/cache/portdelta-agent', '.cache/portdelta-agent')),
    outbox_dir: z.string().min(1).default(() => defaultDir('/var/spool/portdelta-agent/outbox', '.local/state/portdelta-agent/outbox')),
    scanner: uploadScannerName.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = (p: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p], message });
    const given = PHPIPAM_KEYS.filter((k) => c[k] !== undefined);
    if (given.length > 0) {
      for (const k of PHPIPAM_KEYS) if (c[k] === undefined) problem(k, `missing: phpIPAM needs ${PHPIPAM_KEYS.join(', ')}`);
    } else if (!c.subnets?.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `nothing to scan: give \`subnets\` or the phpIPAM settings ${PHPIPAM_KEYS.join(', ')}` });
    }
    // A secret never crosses the network in clear; TLS certificates are always checked.
    const clear = (key: 'http_server' | 'api_url', secret: string) => {
      const u = c[key] && new URL(c[key]!);
      if (u && u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
        problem(key, `plain HTTP to ${u.hostname} would send ${secret} in clear; use https:// (plain HTTP is allowed to loopback only)`);
      }
    };
    if (c.auth_token) clear('http_server', 'auth_token');
    const inUrl = explicitPort(c.http_server);
    if (inUrl !== null && c.http_port !== undefined && inUrl !== c.http_port) {
      problem('http_port', `${c.http_port} differs from port ${inUrl} in http_server: give the port in one place (drop http_port, or the port in http_server)`);
    }
    if (c.client_token) clear('api_url', 'client_token');
    if (c.nmap_args) {
      const cl = parseNmapCommandLine(c.nmap_args.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' '));
      if (cl.targets.length) problem('nmap_args', `names targets (${cl.targets.join(' ')}): the agent scans exactly its subnets and adds them itself`);
      for (const o of cl.options) if (FORBIDDEN.has(o.name)) problem('nmap_args', `${o.text} is not allowed: the agent chooses targets and output itself`);
    }
  });
export type AgentConfig = z.output<typeof agentSchema>;

/** The port written in a URL, also a scheme's default one ('https://h:443' → 443); null when none is written. */
export function explicitPort(url: string): number | null {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const m = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf('@') + 1));
  return m ? Number(m[1]) : null;
}

export const DEFAULT_HTTP_PORT = 5000;

export function usesPhpipam(c: AgentConfig): c is AgentConfig & Required<Pick<AgentConfig, (typeof PHPIPAM_KEYS)[number]>> {
  return PHPIPAM_KEYS.every((k) => c[k] !== undefined);
}

export const DEFAULT_AGENT_CONFIG = '/etc/portdelta/agent.yaml';

export function loadAgentConfig(file = DEFAULT_AGENT_CONFIG): AgentConfig {
  return parseYamlWith(agentSchema, readConfigFile(file, 'give the agent configuration with --config FILE (docs/agent.md)'), file);
}
