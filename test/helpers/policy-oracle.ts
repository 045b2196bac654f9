// A plain, slow reading of docs/target-state.md for tests, written apart from output-agents/: a
// policy as a list of simple rules, rendered as YAML and CSV, and what it says about an open port.
import ipaddr from 'ipaddr.js';
import YAML from 'yaml';

export interface SimpleRule {
  /** An IPv4 address, CIDR or a-b range of full addresses. */
  network: string;
  proto: 'tcp' | 'udp' | 'sctp' | 'any';
  /** 'any' or a comma list of ports and lo-hi ranges (no protocol prefixes). */
  ports: string;
  action: 'allow' | 'deny';
  owner?: string;
  note?: string;
}

export interface Expectation {
  reason: 'allowed' | 'denied' | 'not allowed' | 'no policy';
  rule: number | null;
  owner: string | null;
  note: string | null;
}

const v4 = (ip: string): number => ipaddr.IPv4.parse(ip).toByteArray().reduce((n, b) => n * 256 + b, 0);

function span(network: string): [number, number] {
  if (network.includes('/')) {
    return [v4(ipaddr.IPv4.networkAddressFromCIDR(network).toString()), v4(ipaddr.IPv4.broadcastAddressFromCIDR(network).toString())];
  }
  const [a, b = a] = network.split('-');
  return [v4(a), v4(b)];
}

function portSet(ports: string): Set<number> | 'any' {
  if (ports === 'any') return 'any';
  const set = new Set<number>();
  for (const piece of ports.split(',')) {
    const [lo, hi = lo] = piece.split('-').map(Number);
    for (let p = lo; p <= hi; p++) set.add(p);
  }
  return set;
}

/** The rules whose network holds the address, smallest network first, then in file order. */
function coveringRules(rules: readonly SimpleRule[], ip: string) {
  const at = v4(ip);
  return rules
    .map((r, index) => ({ r, index, size: span(r.network)[1] - span(r.network)[0] + 1 }))
    .filter(({ r }) => span(r.network)[0] <= at && at <= span(r.network)[1])
    .sort((a, b) => a.size - b.size || a.index - b.index);
}

/** What the policy says about an address as such (host events): the owner of the most specific covering rule that has one; no note (no rule decides a host event). */
export function about(rules: readonly SimpleRule[], ip: string): { owner: string | null; note: string | null } {
  const covering = coveringRules(rules, ip);
  return { owner: covering.find((c) => c.r.owner)?.r.owner ?? null, note: null };
}

export function expectation(rules: readonly SimpleRule[], ip: string, proto: string, port: number): Expectation {
  const covering = coveringRules(rules, ip);
  if (covering.length === 0) return { reason: 'no policy', rule: null, owner: null, note: null };
  const candidates = covering
    .map((c) => ({ ...c, ports: portSet(c.r.ports) }))
    .filter((c) => (c.r.proto === 'any' || c.r.proto === proto) && (c.ports === 'any' || c.ports.has(port)))
    .map((c) => ({ ...c, key: [c.size, c.ports === 'any' ? 65536 : c.ports.size, c.r.proto === 'any' ? 1 : 0, c.r.action === 'deny' ? 0 : 1, c.index] }))
    .sort((a, b) => a.key.map((k, i) => k - b.key[i]).find((d) => d !== 0) ?? 0);
  const best = candidates[0];
  const owner = best?.r.owner || covering.find((c) => c.r.owner)?.r.owner || null;
  // No rule names the port: no rule decided it, so no note (a covering rule's note is about other ports).
  if (!best) return { reason: 'not allowed', rule: null, owner, note: null };
  return { reason: best.r.action === 'allow' ? 'allowed' : 'denied', rule: best.index, owner, note: best.r.note || null };
}

export function yamlPolicy(rules: readonly SimpleRule[]): string {
  return YAML.stringify({ rules: rules.map((r) => ({ ...r })) });
}

export function csvPolicy(rules: readonly SimpleRule[]): string {
  const q = (s: string | undefined) => `"${(s ?? '').replace(/"/g, '""')}"`;
  return ['network,proto,ports,action,owner,note', ...rules.map((r) => [r.network, r.proto, r.ports, r.action, r.owner, r.note].map(q).join(','))].join('\n') + '\n';
}

/** Random policies over lab-a's 10.66.1.0/24 for tests that hold two ways of judging against each other. A small seeded generator, so that a failure names the policy that made it. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const RANDOM_PORTS = ['22', '80,443', '25,110,143', '3000-3999', '8443', 'any', '1-1024', '53', '139,445', '8080'];
const RANDOM_NETS = ['10.66.1.0/24', '10.66.1.0/28', '10.66.1.10-10.66.1.13', '10.66.1.14', '10.66.1.16/28', '10.66.1.128/25', '10.66.0.0/16', '10.66.1.17', '10.66.1.12-10.66.1.40'];

export function randomPolicy(seed: number): SimpleRule[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => ({
    network: pick(RANDOM_NETS),
    proto: pick(['tcp', 'tcp', 'udp', 'any'] as const),
    ports: pick(RANDOM_PORTS),
    action: r() < 0.7 ? 'allow' : 'deny',
    ...(r() < 0.7 ? { owner: pick(['net-team', 'web-team', 'db-team']) } : {}),
    ...(r() < 0.3 ? { note: `note ${i}` } : {}),
  }));
}

