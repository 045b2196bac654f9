// Turns host records into staging rows and writes them in bulk while the file streams in.
import type { HostRecord } from '../common/types';
import { PROTOS } from '../common/types';
import { ipKey } from '../common/ip';
import type { Dialect } from '../db/connection';
import { stageHosts, stagePorts, stageUnknownPorts, type Trx } from '../db/ingest-repo';

const FLUSH_AT = 5000;

export class Stager {
  private hosts: object[] = [];
  private ports: object[] = [];
  private unknown: object[] = [];
  hostsUp = 0;
  portsOpen = 0;

  constructor(
    private readonly trx: Trx,
    private readonly dialect: Dialect,
    private readonly scanId: number,
    /** open|filtered counts as open (scanner option open_filtered: open). */
    private readonly openFilteredIsOpen: boolean,
    /** Down hosts only matter when the scope is the hosts the file lists, or nmap timed out on them. */
    private readonly keepDownHosts: boolean,
  ) {}

  async add(h: HostRecord): Promise<void> {
    const up = h.status === 'up';
    if (!up && !h.timedOut && !this.keepDownHosts) return;
    const key = ipKey(h.ip);
    let openCount = 0;
    for (const p of h.ports) {
      const open = p.state === 'open' || (p.state === 'open|filtered' && this.openFilteredIsOpen);
      if (!open && p.state !== 'open|filtered') continue;
      if (open) openCount++;
      this.ports.push({ scan_id: this.scanId, ip_key: key, ip: h.ip, proto: p.proto, port: p.port, open: open ? 1 : 0, service: p.service?.slice(0, 100) ?? null });
    }
    if (h.unknownPorts) {
      for (const proto of PROTOS) {
        for (const r of h.unknownPorts[proto] ?? []) this.unknown.push({ scan_id: this.scanId, ip_key: key, proto, lo: r.lo, hi: r.hi });
      }
    }
    const ptr = h.hostnames.find((n) => n.type === 'PTR')?.name ?? null;
    this.hosts.push({ scan_id: this.scanId, ip_key: key, ip: h.ip, up: up ? 1 : 0, timed_out: h.timedOut ? 1 : 0, ptr: ptr?.slice(0, 255) ?? null, mac: h.mac ?? null, open_count: openCount });
    if (up) this.hostsUp++;
    this.portsOpen += openCount;
    if (this.hosts.length + this.ports.length >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    const [hosts, ports, unknown] = [this.hosts, this.ports, this.unknown];
    this.hosts = [];
    this.ports = [];
    this.unknown = [];
    await stageHosts(this.trx, this.dialect, hosts);
    await stagePorts(this.trx, this.dialect, ports);
    await stageUnknownPorts(this.trx, this.dialect, unknown);
  }
}
