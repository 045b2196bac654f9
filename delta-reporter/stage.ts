// Turns host records into staging rows and loads them in bulk while the file streams in. A full
// batch is written while the parser fills the next one, so parsing and loading overlap.
import type { HostRecord, PortFact } from '../common/types';
import { PROTOS } from '../common/types';
import { ipKey } from '../common/ip';
import type { Cell, StageWriter } from '../db/stage-writer';
import { COLUMN_LIMITS, fitColumn, withoutNul } from '../db/column-limits';
import { certText, serviceText } from '../common/service-facts';
import { Digest } from './host-digest';
import type { SeenHosts } from './seen-hosts';
import { unneededHost } from './down-hosts';
import { collectIfLarge } from '../common/heap';

const BATCH = 20000;
const PORT_WIDTH = 5;
const FACT_WIDTH = 6;

export class Stager {
  // Flat cell arrays (row after row): no array per row for the garbage collector to chase.
  private hosts: Cell[] = [];
  private ports: Cell[] = [];
  private unknown: Cell[] = [];
  private facts: Cell[] = [];
  private restage: Cell[] = [];
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
    /** The scanner's hosts up, to skip the ones the scan lists unchanged (delta-reporter/seen-hosts.ts). */
    private readonly seen: SeenHosts,
    /** The settings a host's digest depends on besides the record (delta-reporter/host-digest.ts). */
    private readonly digestSeed: string,
  ) {}

  async add(h: HostRecord): Promise<void> {
    if (unneededHost(h, this.keepDownHosts)) return;
    const up = h.status === 'up';
    const key = ipKey(h.ip);
    const mark = { ports: this.ports.length, facts: this.facts.length, factCount: this.factCount };
    let openCount = 0;
    let noEvidence = false;
    for (const p of h.ports) {
      const open = p.state === 'open' || (p.state === 'open|filtered' && this.openFilteredIsOpen);
      if (!open && p.state !== 'open|filtered') continue;
      if (open) openCount++;
      else noEvidence = true;
      this.ports.push(key, p.proto, p.port, open ? 1 : 0, p.service === undefined ? null : fitColumn(p.service, COLUMN_LIMITS.service));
      if (open && (p.fingerprint?.method === 'probed' || p.cert)) this.addFacts(key, p);
    }
    const ptr = h.hostnames.find((n) => n.type === 'PTR')?.name ?? null;
    const host: Cell[] = [key, h.ip, up ? 1 : 0, h.timedOut ? 1 : 0, ptr === null ? null : fitColumn(ptr, COLUMN_LIMITS.hostname), h.mac === undefined ? null : fitColumn(h.mac, COLUMN_LIMITS.mac), openCount];
    const skippable = up && !h.timedOut && !noEvidence && !h.unknownPorts;
    const digest = skippable ? this.digestOf(host, mark) : null;
    const visit = this.seen.visit(key, digest, openCount);
    if (visit === 'skip') {
      this.ports.length = mark.ports;
      this.facts.length = mark.facts;
      this.factCount = mark.factCount;
      return;
    }
    if (visit === 'restage') this.restage.push(key);
    if (h.unknownPorts) {
      for (const proto of PROTOS) for (const r of h.unknownPorts[proto] ?? []) this.unknown.push(key, proto, r.lo, r.hi);
    }
    this.hosts.push(...host, digest);
    this.rows += 1 + (this.ports.length - mark.ports) / PORT_WIDTH;
    if (this.rows >= BATCH) {
      // One batch in flight at a time: wait for the previous one, then start this one and go on parsing.
      await this.pending;
      collectIfLarge();
      this.pending = this.write();
      this.pending.catch(() => undefined); // handled where it is awaited: next batch or flush()
    }
  }

  /** The record as staged (host cells, then its ports and facts since `mark`), under the scan's settings. */
  private digestOf(host: Cell[], mark: { ports: number; facts: number }): number {
    const d = new Digest(this.digestSeed);
    for (let i = 2; i < host.length; i++) d.cell(host[i]);
    for (let i = mark.ports + 1; i < this.ports.length; i += PORT_WIDTH) {
      for (let j = 0; j < PORT_WIDTH - 1; j++) d.cell(this.ports[i + j]);
    }
    for (let i = mark.facts + 1; i < this.facts.length; i += FACT_WIDTH) {
      for (let j = 0; j < FACT_WIDTH - 1; j++) d.cell(this.facts[i + j]);
    }
    return d.value();
  }

  /** A table guess (method="table") is not staged: it says nothing, and must not replace the last probed fingerprint. */
  private addFacts(key: string, p: PortFact): void {
    const service = p.fingerprint?.method === 'probed' ? withoutNul(serviceText(p.fingerprint)) : null;
    const notAfter = p.cert?.not_after ? Date.parse(p.cert.not_after) : null;
    this.facts.push(key, p.proto, p.port, service, p.cert ? withoutNul(certText(p.cert)) : null, notAfter);
    this.factCount++;
  }

  private write(): Promise<void> {
    const [hosts, ports, unknown, facts, restage] = [this.hosts, this.ports, this.unknown, this.facts, this.restage];
    this.hosts = [];
    this.ports = [];
    this.unknown = [];
    this.facts = [];
    this.restage = [];
    this.rows = 0;
    return (async () => {
      await this.writer.write('stage_hosts', hosts);
      await this.writer.write('stage_ports', ports);
      await this.writer.write('stage_unknown_ports', unknown);
      await this.writer.write('stage_port_facts', facts);
      await this.writer.write('stage_restage', restage);
    })();
  }

  /** Writes what is left and waits for every batch; rethrows a failed batch. */
  async flush(): Promise<void> {
    await this.pending;
    await this.write();
    await this.writer.write('stage_absent', [...this.seen.absent()]);
    await this.writer.close();
  }
}
