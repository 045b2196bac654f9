// A scan that cannot see a host's MAC address (from behind a router) does not erase the one a
// scan on the same L2 recorded, whichever path the host takes through the apply.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { cliJson, SCANS } from '../helpers/cli';

interface HostRow {
  ip: string;
  mac: string | null;
  hostname: string | null;
}

forEachDb('host facts', (db) => {
  test('the MAC from an on-link scan survives a later scan without MACs, renamed host included', async () => {
    const url = db.fresh();
    const lab = (f: string) => path.join(SCANS, 'lab-a', f);
    await cliJson(['--db', url, 'ingest', '--scanner', 'x', lab('night3/scan-in/nmap-tcp.xml')]);
    const before = await cliJson<HostRow[]>(['--db', url, 'hosts']);
    const mac = before.find((h) => h.ip === '10.66.1.12')?.mac;
    expect(mac).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/);
    // From outside the router: no MACs, and db01 is now pg01 (a dns_changed, so not the fast path).
    await cliJson(['--db', url, 'ingest', '--scanner', 'x', lab('night5/scan-out/nmap-tcp.xml')]);
    const after = await cliJson<HostRow[]>(['--db', url, 'hosts']);
    expect(after.find((h) => h.ip === '10.66.1.12')).toMatchObject({ mac, hostname: 'pg01.lab-a.test' });
    expect(after.find((h) => h.ip === '10.66.1.10')?.mac).toBe(before.find((h) => h.ip === '10.66.1.10')?.mac);
  });
});
