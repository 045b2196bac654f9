// Dual-stack disagreements (`disagreements --family`) in the reports of agents with
// include_disagreements, beside the scanner-group ones and in their shape, so that every kind and
// template shows them without a second section: the group reads 'dual-stack', the address is the
// IPv4 one, and each view is one family of the scanner ('scan-in ipv6 fd00::10').
import type { Knex } from 'knex';
import { listFamilyDisagreements } from '../db/family-disagreement-repo';
import type { Disagreement, DualStackPair, FamilyDisagreement, IpRange } from '../common/types';

const DUAL_STACK_GROUP = 'dual-stack';

function asDisagreement(d: FamilyDisagreement): Disagreement {
  return {
    group: DUAL_STACK_GROUP,
    ip: d.views[0].ip,
    proto: d.proto,
    port: d.port,
    hostname: d.hostname,
    views: d.views.map((v) => ({ scanner: `${d.scanner} ${v.family} ${v.ip}`, view: v.view, scan_id: v.scan_id, scan_time: v.scan_time })),
  };
}

/** The dual-stack disagreements of `scanners` (all when null) within `networks`. */
export async function familyDisagreements(knex: Knex, f: { pairs?: readonly DualStackPair[]; networks?: IpRange[]; scanners: readonly string[] | null }): Promise<Disagreement[]> {
  const rows = await listFamilyDisagreements(knex, { pairs: f.pairs, networks: f.networks, scanners: f.scanners ?? undefined });
  return rows.map(asDisagreement);
}
