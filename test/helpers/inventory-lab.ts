// One store and one API stand-in per test for the inventory kinds' tests (phpipam, netbox): a
// fresh store on the block's database before each test, the stand-in closed and the files removed
// after it; scans and agents for the one scanner `scan-in`.
import type { TestDb } from './db';
import { ReportLab } from './report';

const SCANNERS = { 'scan-in': { timezone: 'UTC' } };

export interface InventoryLab<A> {
  lab: ReportLab;
  /** The test's stand-in; closed after the test. */
  api?: A;
  /** Ingests a scan given as text. */
  ingest(name: string, text: string): Promise<unknown>;
  /** A configuration with this one agent. */
  config(agent: object): string;
}

export function inventoryLab<A extends { close(): Promise<void> }>(db: TestDb): InventoryLab<A> {
  const ctx = {
    ingest: (name: string, text: string) => ctx.lab.ingest(ctx.lab.config([], SCANNERS), ctx.lab.scratch.write(name, text)),
    config: (agent: object) => ctx.lab.config([agent], SCANNERS),
  } as InventoryLab<A>;
  beforeEach(async () => {
    ctx.lab = new ReportLab(db.fresh());
    await ctx.lab.migrate();
  });
  afterEach(async () => {
    await ctx.api?.close();
    ctx.api = undefined;
    ctx.lab.remove();
  });
  return ctx;
}
