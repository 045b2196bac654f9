// Turns host records into staging rows and loads them in bulk while the file streams in. A full
// batch is written while the parser fills the next one, so parsing and loading overlap.
import type { HostRecord, PortFact } from '../common/types';
import { PROTOS } from '../common/types';
import { ipKey } from '../common/ip';
import type { Cell, StageWriter } from '../db/stage-writer';
import { COLUMN_LIMITS, fitColumn, withoutNul } from '../db/column-limits';
import { certText, serviceText } from '../common/service-facts';

const BATCH = 20000;

export class Stager {
  // Flat cell arrays (row after row): no array per row for the garbage collector to chase.
  private hosts: Cell[] = [];
  private ports: Cell[] = [];
  private unknown: Cell[] = [];
  private facts: Cell[] = [];
  private rows = 0;
  /** Ports staged with a probed fingerprint or a certificate: none, and the ingest asks nothing about them. */
  factCount = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly writer: StageWriter,
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
      this.ports.push(key, p.proto, p.port, open ? 1 : 0, p.service === undefined ? null : fitColumn(p.service, COLUMN_LIMITS.service));
      this.rows++;
      if (open && (p.fingerprint?.method === 'probed' || p.cert)) this.addFacts(key, p);
    }
    if (h.unknownPorts) {
      for (const proto of PROTOS) for (const r of h.unknownPorts[proto] ?? []) this.unknown.push(key, proto, r.lo, r.hi);
    }
    const ptr = h.hostnames.find((n) => n.type === 'PTR')?.name ?? null;
    const mac = h.mac === undefined ? null : fitColumn(h.mac, COLUMN_LIMITS.mac);
    this.hosts.push(key, h.ip, up ? 1 : 0, h.timedOut ? 1 : 0, ptr === null ? null : fitColumn(ptr, COLUMN_LIMITS.hostname), mac, openCount);
    if (++this.rows >= BATCH) {
      // One batch in flight at a time: wait for the previous one, then start this one and go on parsing.
      await this.pending;
      this.pending = this.write();
      this.pending.catch(() => undefined); // handled where it is awaited: next batch or flush()
    }
  }

  /** A table guess (method="table") is not staged: it says nothing, and must not replace the last probed fingerprint. */
  private addFacts(key: string, p: PortFact): void {
    const service = p.fingerprint?.method === 'probed' ? withoutNul(serviceText(p.fingerprint)) : null;
    const notAfter = p.cert?.not_after ? Date.parse(p.cert.not_after) : null;
    this.facts.push(key, p.proto, p.port, service, p.cert ? withoutNul(certText(p.cert)) : null, notAfter);
    this.factCount++;
  }

  private write(): Promise<void> {
    const [hosts, ports, unknown, facts] = [this.hosts, this.ports, this.unknown, this.facts];
    this.hosts = [];
    this.ports = [];
    this.unknown = [];
    this.facts = [];
    this.rows = 0;
    return (async () => {
      await this.writer.write('stage_hosts', hosts);
      await this.writer.write('stage_ports', ports);
      await this.writer.write('stage_unknown_ports', unknown);
      await this.writer.write('stage_port_facts', facts);
    })();
  }

  /** Writes what is left and waits for every batch; rethrows a failed batch. */
  async flush(): Promise<void> {
    await this.pending;
    await this.write();
    await this.writer.close();
  }
}
