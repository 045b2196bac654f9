// The ingest step of service_changed and cert_changed, after the port steps (a port's facts change
// joins the change row those wrote for it). Runs only for a scan that staged facts: a scan without
// -sV or ssl-cert output asks nothing of the database here.
import type { Knex } from 'knex';
import * as facts from '../db/facts-repo';
import type { Trx } from '../db/ingest-repo';
import type { Dialect } from '../db/dialects/types';
import { upsertMany } from '../db/batch';
import { certText, parseCert, parseService, serviceText } from '../common/service-facts';
import { classifyFacts } from './classify-facts';
import { timer } from '../common/timing';

interface FactsContext {
  trx: Trx;
  dialect: Dialect;
  scanId: number;
  scannerId: number;
  at: number;
}

const text = <T>(v: T | null, show: (v: T) => string): string | null => (v === null ? null : show(v));

/** What one differing row becomes: the facts to store, and the change decided, if any. */
function decide(ctx: FactsContext, r: facts.FactsRow): { state: object; decision: object | null } {
  const prev = { service: parseService(r.prev_service), cert: parseCert(r.prev_cert) };
  const d = classifyFacts(prev, { service: parseService(r.service), cert: parseCert(r.cert), reportedOpen: r.reported === 'open' });
  const state = {
    scanner_id: ctx.scannerId, ip_key: r.ip_key, ip: r.ip, proto: r.proto, port: r.port,
    // a part this scan said nothing about keeps what was stored, and when
    service: r.service ?? r.prev_service, service_seen: r.service === null ? r.prev_service_seen : ctx.at,
    cert: r.cert ?? r.prev_cert, cert_not_after: r.cert === null ? r.prev_cert_not_after : r.cert_not_after, cert_seen: r.cert === null ? r.prev_cert_seen : ctx.at,
  };
  if (!d.change) return { state, decision: null };
  return {
    state,
    decision: {
      ip_key: r.ip_key, proto: r.proto, port: r.port, type: d.change,
      service: d.previousService ? text(d.next.service, serviceText) : null, previous_service: text(d.previousService, serviceText),
      cert: d.previousCert ? text(d.next.cert, certText) : null, previous_cert: text(d.previousCert, certText),
    },
  };
}

export async function applyFacts(ctx: FactsContext): Promise<void> {
  const trx = ctx.trx as Knex.Transaction; // an ingest applies inside its transaction
  const t = timer('facts');
  await facts.applyNewFacts(trx, ctx);
  t.mark('first sightings');
  await facts.openDecisions(trx, ctx.dialect);
  for await (const page of ctx.dialect.pages(trx, facts.factsDiffering(ctx.scanId, ctx.scannerId))) {
    const decided = page.map((r) => decide(ctx, { ...r, port: Number(r.port) }));
    await upsertMany(trx, ctx.dialect, 'port_facts', ['scanner_id', 'ip_key', 'proto', 'port'], facts.FACTS_COLS, decided.map((x) => x.state));
    await facts.addDecisions(trx, ctx.dialect, decided.flatMap((x) => (x.decision ? [x.decision] : [])));
  }
  t.mark('walk');
  await facts.applyDecisions(trx, ctx.dialect, ctx);
  t.mark('changes');
}
