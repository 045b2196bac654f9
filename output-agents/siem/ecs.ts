// Elastic Common Schema (ECS 8.x): the change is an event about its destination (the address and
// port the scanner looked at), seen by the scanner as the observer. Mapping in docs/siem.md.
import type { SiemFacts } from './facts';
import { portdeltaFields, PRODUCT, SYSLOG_SEVERITY } from './facts';
import type { SiemFormat } from './types';

const ECS_VERSION = '8.11.0';

/** event.category and event.type: only ECS's allowed values (ecs-allowed-values-event-type). */
const CATEGORIZED: Record<string, [string, string]> = {
  new_host: ['host', 'start'],
  host_down: ['host', 'end'],
  dns_changed: ['host', 'change'],
  all_ports_answer: ['host', 'info'],
  new_port: ['network', 'start'],
  port_reopened: ['network', 'start'],
  port_closed: ['network', 'end'],
  service_changed: ['network', 'protocol'],
  cert_changed: ['network', 'protocol'],
};


function destination(f: SiemFacts): Record<string, unknown> | undefined {
  if (!f.ip) return undefined;
  return { ip: f.ip, address: f.ip, ...(f.port !== null ? { port: f.port } : {}), ...(f.hostname ? { domain: f.hostname } : {}) };
}

function ecsDocument(f: SiemFacts): Record<string, unknown> {
  const [category, type] = CATEGORIZED[f.action] ?? ['host', 'info'];
  return {
    '@timestamp': f.time,
    ecs: { version: ECS_VERSION },
    message: f.text,
    event: {
      id: f.id,
      kind: f.verdict === 'unexpected' ? 'alert' : 'event',
      category: [category],
      type: [type],
      action: f.action,
      dataset: 'portdelta.change',
      module: 'portdelta',
      provider: f.agent,
      severity: SYSLOG_SEVERITY[f.severity],
      created: f.created,
      reason: f.text,
    },
    observer: { name: f.scanner, type: 'scanner', vendor: PRODUCT.vendor, product: PRODUCT.name, version: PRODUCT.version },
    destination: destination(f),
    network: f.ip ? { transport: f.proto ?? undefined, type: f.ip.includes(':') ? 'ipv6' : 'ipv4' } : undefined,
    related: f.ip ? { ip: [f.ip], hosts: [f.hostname, f.previousHostname].filter((h): h is string => !!h) } : undefined,
    rule: f.verdict === 'none' ? undefined : { ruleset: 'portdelta target-state policy', name: f.verdict === 'expected' ? 'expected by the policy' : 'breaks the policy' },
    portdelta: portdeltaFields(f),
  };
}

export const ecs: SiemFormat = {
  name: 'ecs',
  json: true,
  record: (f) => JSON.stringify(ecsDocument(f)),
};
