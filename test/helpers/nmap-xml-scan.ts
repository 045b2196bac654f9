// Small nmap XML scans in the shape nmap 7.93 writes with -sV and --script ssl-cert (see the real
// ones in test/fixtures/made/service/), for table-driven tests that need many hosts in many states:
// the classifier's facts cases through a real ingest. Real output is what the fixture tests read.
import type { CertFacts, ServiceFingerprint } from '../../common/types';

interface XmlPort {
  port: number;
  state?: string;
  service?: ServiceFingerprint | null;
  cert?: CertFacts | null;
}

export interface XmlHost {
  ip: string;
  ports: XmlPort[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function serviceTag(f: ServiceFingerprint): string {
  const attrs = (['name', 'product', 'version', 'extrainfo', 'tunnel'] as const).filter((k) => f[k] !== null).map((k) => `${k}="${esc(f[k]!)}"`);
  return `<service ${attrs.join(' ')} method="${f.method}" conf="${f.method === 'probed' ? 10 : 3}"/>`;
}

/** 'CN=a.test, O=x' back into nmap's <table key="subject"> elems. */
function names(key: string, dn: string): string {
  const long: Record<string, string> = { CN: 'commonName', O: 'organizationName' };
  const elems = dn.split(', ').filter(Boolean).map((p) => {
    const [k, ...v] = p.split('=');
    return `<elem key="${long[k] ?? k}">${esc(v.join('='))}</elem>`;
  });
  return `<table key="${key}">\n${elems.join('\n')}\n</table>`;
}

const nmapTime = (iso: string | null): string => (iso ?? '').replace(/\.\d{3}Z$/, '');

function certScript(c: CertFacts): string {
  const fps = [c.sha1 ? `<elem key="sha1">${c.sha1}</elem>` : '', c.sha256 ? `<elem key="sha256">${c.sha256}</elem>` : ''].join('\n');
  return `<script id="ssl-cert" output="Subject: ${esc(c.subject)}">${names('subject', c.subject)}
${names('issuer', c.issuer)}
<table key="validity">
<elem key="notBefore">${nmapTime(c.not_before)}</elem>
<elem key="notAfter">${nmapTime(c.not_after)}</elem>
</table>
${fps}
</script>`;
}

function portTag(p: XmlPort): string {
  const inner = `<state state="${p.state ?? 'open'}" reason="syn-ack" reason_ttl="64"/>${p.service ? serviceTag(p.service) : ''}${p.cert ? certScript(p.cert) : ''}`;
  return `<port protocol="tcp" portid="${p.port}">${inner}</port>`;
}

/** A complete nmap -sV --script ssl-cert scan of `targets` on ports 1-1024, started at `started`. */
export function nmapXmlText(o: { started: string; targets: string; hosts: XmlHost[] }): string {
  const t = Math.floor(Date.parse(o.started) / 1000);
  const args = `nmap -n -sV --script ssl-cert -p 1-1024 -oX - ${o.targets}`;
  const hosts = o.hosts.map((h) => `<host starttime="${t}" endtime="${t + 1}"><status state="up" reason="syn-ack" reason_ttl="0"/>
<address addr="${h.ip}" addrtype="ipv4"/>
<hostnames>
</hostnames>
<ports>${h.ports.map(portTag).join('\n')}
</ports>
</host>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="${esc(args)}" start="${t}" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1024" services="1-1024"/>
${hosts.join('\n')}
<runstats><finished time="${t + 60}" elapsed="60" exit="success"/><hosts up="${o.hosts.length}" down="0" total="${o.hosts.length}"/>
</runstats>
</nmaprun>
`;
}
