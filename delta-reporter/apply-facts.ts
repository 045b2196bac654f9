// The ingest step of service_changed and cert_changed, after the port steps (a port's facts change
// joins the change row those wrote for it). Runs only for a scan that staged facts: a scan without
// -sV or ssl-cert output asks nothing of the database here.
import * as facts from '../db/facts-repo';
import { insertChanges, type Trx } from '../db/ingest-repo';
import type { Dialect } from '../db/dialects/types';
import { certText, parseCert, parseService, serviceText } from '../common/service-facts';
import { classifyFacts } from './classify-facts';
import { upsertMany } from '../db/batch';

interface FactsContext {
  trx: Trx;
  dialect: Dialect;
  scanId: number;
  scannerId: number;
  at: number;
}

const text = <T>(v: T | null, show: (v: T) => string): string | null => (v === null ? null : show(v));

/** What one differing row becomes: the state to store, and the change (joined to an existing row or new). */
async function decide(ctx: FactsContext, r: facts.FactsRow, states: object[], fresh: object[]): Promise<void> {
  const prev = { service: parseService(r.prev_service), cert: parseCert(r.prev_cert) };
  const seen = { service: parseService(r.service), cert: parseCert(r.cert), reportedOpen: r.reported === 'open' };
  const d = classifyFacts(prev, seen);
  states.push({
    scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, proto: r.proto, port: r.port,
    // a part this scan said nothing about keeps what was stored, and when
    service: r.service ?? r.prev_service, service_seen: r.service === null ? r.prev_service_seen : ctx.at,
    cert: r.cert ?? r.prev_cert, cert_not_after: r.cert === null ? r.prev_cert_not_after : r.cert_not_after, cert_seen: r.cert === null ? r.prev_cert_seen : ctx.at,
  });
  if (!d.change) return;
  const values = {
    service: d.previousService ? text(d.next.service, serviceText) : null, previous_service: text(d.previousService, serviceText),
    cert: d.previousCert ? text(d.next.cert, certText) : null, previous_cert: text(d.previousCert, certText),
  };
  const type = Number(r.change_type ?? 0) | d.change;
  await facts.markPortChange(ctx.trx, ctx.scannerId, r, type);
  if (r.change_id !== null) return facts.joinChange(ctx.trx, Number(r.change_id), { type, ...values });
  fresh.push({
    scanner_id: ctx.scannerId, scan_id: ctx.scanId, ip_key: r.ip_key, ip: r.ip, proto: r.proto, port: r.port, type,
    hostname: r.hostname, previous_hostname: null, returning: 0, detected_at: ctx.at, ...values,
  });
}

export async function applyFacts(ctx: FactsContext): Promise<void> {
  await facts.applyNewFacts(ctx.trx, ctx);
  for await (const page of ctx.dialect.pages(ctx.trx, facts.factsDiffering(ctx.scanId, ctx.scannerId))) {
    const states: object[] = [];
    const fresh: object[] = [];
    for (const r of page) await decide(ctx, { ...r, port: Number(r.port) }, states, fresh);
    await upsertMany(ctx.trx, ctx.dialect, 'port_facts', ['scanner_id', 'ip_key', 'proto', 'port'], facts.FACTS_COLS, states);
    await insertChanges(ctx.trx, ctx.dialect, fresh);
  }
}
