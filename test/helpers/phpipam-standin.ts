// A stand-in for phpIPAM's REST API over HTTPS on 127.0.0.1, answering in phpIPAM's shapes:
// {"code":200,"success":true,"data":[…],"time":…}, and 404 {"success":false,"message":…} for "none".
// Only what the scan agent reads: tools/scanagents, subnets (filtered) and subnets/{id}/addresses.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Standin {
  url: string;
  /** Requests answered so far, as "path?query". */
  requests: string[];
  close(): Promise<void>;
}

export interface StandinData {
  app: string;
  token: string;
  agents: Array<Record<string, string | null>>;
  subnets: Array<Record<string, string | null>>;
  addresses: Record<string, Array<Record<string, string | null>>>;
}

/** A subnet row as phpIPAM's API returns it (every value a string, as from MySQL). */
export function phpipamSubnet(id: string, subnet: string, mask: string, scanAgent: string, discoverSubnet: '0' | '1'): Record<string, string | null> {
  return {
    id, subnet, mask, sectionId: '1', description: `test subnet ${id}`, linked_subnet: null, firewallAddressObject: null, vrfId: null,
    masterSubnetId: '0', allowRequests: '0', vlanId: null, showName: '1', device: '0', permissions: '{"3":"1","2":"2"}', pingSubnet: '0',
    discoverSubnet, resolveDNS: '0', DNSrecursive: '0', DNSrecords: '0', nameserverId: '0', scanAgent, customer_id: null, isFolder: '0',
    isFull: '0', isPool: '0', state: '2', threshold: '0', location: null, editDate: null, lastScan: null, lastDiscovery: null,
  };
}

export function startStandin(pki: { cert: string; key: string }, data: StandinData): Promise<Standin> {
  const requests: string[] = [];
  const server = https.createServer({ cert: fs.readFileSync(pki.cert), key: fs.readFileSync(pki.key) }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push(u.pathname + u.search);
    const send = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ code: status, success: status === 200, ...body, time: 0.003 }));
    };
    const prefix = `/api/${data.app}/`;
    if (!u.pathname.startsWith(prefix)) return send(400, { message: 'Invalid application id' });
    if (req.headers.token !== data.token) return send(403, { message: 'Invalid token' });
    const parts = u.pathname.slice(prefix.length).split('/').filter(Boolean);
    const by = u.searchParams.get('filter_by');
    const value = u.searchParams.get('filter_value');
    const filtered = (rows: Array<Record<string, string | null>>) => {
      const hit = by ? rows.filter((r) => r[by] === value) : rows;
      return hit.length ? send(200, { data: hit }) : send(404, { message: 'No results (filter applied)' });
    };
    if (parts[0] === 'tools' && parts[1] === 'scanagents' && parts.length === 2) return filtered(data.agents);
    if (parts[0] === 'subnets' && parts.length === 1) return filtered(data.subnets);
    if (parts[0] === 'subnets' && parts[2] === 'addresses' && parts.length === 3) {
      if (!data.subnets.some((s) => s.id === parts[1])) return send(404, { message: 'Invalid subnet Id' });
      const rows = data.addresses[parts[1]] ?? [];
      return rows.length ? send(200, { data: rows }) : send(404, { message: 'No addresses found' });
    }
    return send(400, { message: 'Invalid request' });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ url: `https://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
