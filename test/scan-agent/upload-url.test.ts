// Where the agent uploads: the port written in http_server wins; http_port (phpIPAM's setting,
// default 5000) is used only when http_server names none, and a conflict is refused as config.
import { agentSchema } from '../../scan-agent/config';
import { uploadUrl } from '../../scan-agent/uploader';
import { issueLines } from '../../common/yaml-config';

const parse = (extra: Record<string, unknown>) => agentSchema.safeParse({ subnets: ['127.0.0.1/32'], ...extra });

test.each([
  [{ http_server: 'http://127.0.0.1' }, 'http://127.0.0.1:5000/api/v1/scans'],
  [{ http_server: 'http://127.0.0.1', http_port: 6000 }, 'http://127.0.0.1:6000/api/v1/scans'],
  [{ http_server: 'https://pd.example.org:8443' }, 'https://pd.example.org:8443/api/v1/scans'],
  [{ http_server: 'https://pd.example.org:8443', http_port: 8443 }, 'https://pd.example.org:8443/api/v1/scans'],
  [{ http_server: 'https://pd.example.org:443' }, 'https://pd.example.org/api/v1/scans'],
  [{ http_server: 'https://[::1]:9000/portdelta/' }, 'https://[::1]:9000/portdelta/api/v1/scans'],
  [{ http_server: 'https://pd.example.org', scanner: 'dmz' }, 'https://pd.example.org:5000/api/v1/scans?scanner=dmz'],
])('%j uploads to %s', (settings, url) => {
  const c = parse(settings);
  expect(c.success).toBe(true);
  expect(uploadUrl(c.data!).href).toBe(url);
});

test.each([
  [{ http_server: 'https://pd.example.org:8443', http_port: 5000 }, 'http_port: 5000 differs from port 8443 in http_server'],
  [{ http_server: 'https://pd.example.org:443', http_port: 5000 }, 'http_port: 5000 differs from port 443 in http_server'],
])('%j is refused', (settings, problem) => {
  const c = parse(settings);
  expect(c.success).toBe(false);
  expect(issueLines(c.error!).join('\n')).toContain(problem);
});
