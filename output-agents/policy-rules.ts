// One rule of the target-state policy (docs/target-state.md), checked field by field. The YAML and
// the CSV reader both hand their raw fields here, so both formats mean exactly the same, and every
// problem of a file is collected with where it stands instead of stopping at the first.
import { parseTargets } from '../common/ip';
import { parsePortSpec } from '../common/ports';
import { PROTOS, type IpRange, type PortRange, type Proto } from '../common/types';

type RuleAction = 'allow' | 'deny';

export interface PolicyRule {
  /** 0-based position in the file: the last tie-breaker between equally specific rules. */
  index: number;
  /** Where the rule stands, for messages and `audit`: 'line 4' (CSV) or 'rules[2] (line 7)' (YAML). */
  where: string;
  /** The network as written, for people. */
  network: string;
  ranges: IpRange[];
  proto: Proto | 'any';
  /** 'any': every port of the rule's protocols; else the ports it names, per protocol. */
  ports: 'any' | Partial<Record<Proto, PortRange[]>>;
  action: RuleAction;
  owner: string | null;
  note: string | null;
}

/** The fields a rule may have; `ip` is another name for `network`. */
export const RULE_FIELDS = Object.freeze(['network', 'ip', 'proto', 'ports', 'action', 'owner', 'note']);
export const REQUIRED_FIELDS = Object.freeze(['proto', 'ports', 'action']);

/** A rule's fields as read: strings from CSV (an empty cell is absent), whatever YAML gave. */
export type RawRule = Partial<Record<string, unknown>>;

/** `at(field)` says where a field stands ('line 4, ports' or 'rules[2].ports (line 9)'). */
export type Locate = (field: string | null) => string;

const present = (v: unknown): boolean => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** A YAML list of networks or ports is the same as the comma-separated string. */
function listText(v: unknown): string | null {
  if (Array.isArray(v)) {
    const parts = v.map(text);
    return parts.length && parts.every((p) => p !== null && p !== '') ? parts.join(',') : null;
  }
  return text(v);
}

function checkNetwork(raw: RawRule, at: Locate, problems: string[]): { network: string; ranges: IpRange[] } | null {
  if (present(raw.network) && present(raw.ip)) {
    problems.push(`${at('ip')}: give network or ip, not both (they mean the same)`);
    return null;
  }
  const field = present(raw.ip) ? 'ip' : 'network';
  if (!present(raw[field])) {
    problems.push(`${at('network')}: missing; give a CIDR, an address or a range (10.66.1.0/24, 10.66.1.10, 10.66.1.10-20, fd00::/64)`);
    return null;
  }
  const network = listText(raw[field]);
  if (network === null) {
    problems.push(`${at(field)}: expected a CIDR, an address or a range as text`);
    return null;
  }
  try {
    return { network, ranges: parseTargets([network]) };
  } catch (e) {
    problems.push(`${at(field)}: ${(e as Error).message}`);
    return null;
  }
}

function checkProto(raw: RawRule, at: Locate, problems: string[]): Proto | 'any' | null {
  const v = text(raw.proto)?.toLowerCase();
  if (v === 'any' || (PROTOS as readonly string[]).includes(v ?? '')) return v as Proto | 'any';
  problems.push(`${at('proto')}: ${present(raw.proto) ? `'${String(raw.proto)}' is not` : 'missing; give'} tcp, udp, sctp or any`);
  return null;
}

function checkPorts(raw: RawRule, proto: Proto | 'any' | null, at: Locate, problems: string[]): PolicyRule['ports'] | null {
  const spec = listText(raw.ports);
  if (spec === null || spec === '') {
    problems.push(`${at('ports')}: ${present(raw.ports) ? 'expected' : 'missing; give'} ports in nmap -p syntax (22,80,8000-8100,U:53) or any`);
    return null;
  }
  if (spec.toLowerCase() === 'any') return 'any';
  // With a bad proto (already listed) the ports are still checked, for every protocol.
  const protos = proto === 'any' || proto === null ? PROTOS : [proto];
  try {
    const scope = parsePortSpec(spec, protos);
    const foreign = PROTOS.filter((p) => scope[p] && !protos.includes(p));
    if (proto === null) return null;
    if (foreign.length) {
      problems.push(`${at('ports')}: '${spec}' names ${foreign.join(', ')} ports but the rule's proto is ${proto}`);
      return null;
    }
    return scope;
  } catch (e) {
    problems.push(`${at('ports')}: ${(e as Error).message}; use nmap -p syntax (22,80,8000-8100,U:53) or any`);
    return null;
  }
}

function checkAction(raw: RawRule, at: Locate, problems: string[]): RuleAction | null {
  const v = text(raw.action)?.toLowerCase();
  if (v === 'allow' || v === 'deny') return v;
  problems.push(`${at('action')}: ${present(raw.action) ? `'${String(raw.action)}' is not` : 'missing; give'} allow or deny`);
  return null;
}

function checkLabel(raw: RawRule, field: 'owner' | 'note', at: Locate, problems: string[]): string | null {
  if (!present(raw[field])) return null;
  const v = text(raw[field]);
  if (v === null) problems.push(`${at(field)}: expected text`);
  return v || null;
}

/** The rule, or null when it has problems (each pushed onto `problems`). */
export function checkRule(raw: RawRule, index: number, where: string, at: Locate, problems: string[]): PolicyRule | null {
  const before = problems.length;
  const net = checkNetwork(raw, at, problems);
  const proto = checkProto(raw, at, problems);
  const ports = checkPorts(raw, proto, at, problems);
  const action = checkAction(raw, at, problems);
  const owner = checkLabel(raw, 'owner', at, problems);
  const note = checkLabel(raw, 'note', at, problems);
  if (problems.length > before || !net || !proto || !ports || !action) return null;
  return { index, where, network: net.network, ranges: net.ranges, proto, ports, action, owner, note };
}
