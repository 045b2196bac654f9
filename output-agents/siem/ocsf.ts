// Open Cybersecurity Schema Framework (OCSF 1.3): each change is a Detection Finding (class 2004,
// category 2 Findings): a security tool's detection about a resource, which is what a scanner's
// new open port is. Why not Network Activity (4001): that class records traffic between two
// endpoints, and a scan's probe is not the event. Mapping in docs/siem.md.
import type { SiemFacts } from './facts';
import { portdeltaFields, PRODUCT } from './facts';
import type { SiemFormat } from './types';

const OCSF_VERSION = '1.3.0';
const CLASS_UID = 2004;
const CREATE = 1;
/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium. */
const SEVERITY: Record<SiemFacts['severity'], [number, string]> = { low: [1, 'Informational'], medium: [2, 'Low'], high: [3, 'Medium'] };
/** The policy's verdict as the evidence's verdict_id: 8 Security Risk, 5 Benign, 0 Unknown (no rule speaks about it). */
const VERDICT: Record<SiemFacts['verdict'], [number, string]> = { unexpected: [8, 'Security Risk'], expected: [5, 'Benign'], none: [0, 'Unknown'] };
/** OCSF observable type_id: 1 Hostname, 2 IP Address. */
const HOSTNAME = 1;
const IP_ADDRESS = 2;

function evidence(f: SiemFacts): Record<string, unknown> {
  const dst = f.ip ? { ip: f.ip, ...(f.port !== null ? { port: f.port } : {}), ...(f.hostname ? { hostname: f.hostname } : {}) } : undefined;
  return {
    // The scanner looked from here; it is the observer, not a party to traffic.
    src_endpoint: { name: f.scanner, type_id: 99, type: 'Scanner' },
    dst_endpoint: dst,
    connection_info: f.proto ? { protocol_name: f.proto } : undefined,
    verdict_id: VERDICT[f.verdict][0],
    verdict: VERDICT[f.verdict][1],
  };
}

function observables(f: SiemFacts): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (f.ip) out.push({ name: 'evidences[0].dst_endpoint.ip', type_id: IP_ADDRESS, type: 'IP Address', value: f.ip });
  if (f.hostname) out.push({ name: 'evidences[0].dst_endpoint.hostname', type_id: HOSTNAME, type: 'Hostname', value: f.hostname });
  return out;
}

function ocsfFinding(f: SiemFacts): Record<string, unknown> {
  const [severityId, severity] = SEVERITY[f.severity];
  const time = Date.parse(f.time);
  return {
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: CREATE,
    activity_name: 'Create',
    type_uid: CLASS_UID * 100 + CREATE,
    type_name: 'Detection Finding: Create',
    time,
    severity_id: severityId,
    severity,
    status_id: 1,
    status: 'New',
    message: f.text,
    is_alert: f.verdict === 'unexpected',
    metadata: {
      version: OCSF_VERSION,
      uid: f.id,
      logged_time: Date.parse(f.created),
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: PRODUCT.version, feature: { name: f.agent } },
    },
    finding_info: { uid: f.id, title: f.text, types: [f.action], created_time: time, analytic: { name: f.scanner, type_id: 99, type: 'Other' } },
    evidences: [evidence(f)],
    observables: observables(f),
    unmapped: { portdelta: portdeltaFields(f) },
  };
}

export const ocsf: SiemFormat = {
  name: 'ocsf',
  json: true,
  record: (f) => JSON.stringify(ocsfFinding(f)),
};
