// max_absence (docs/change-types.md): one broken scan run (a truncated target list, a filter in the
// way, a dead uplink) must not take down most of what a scanner knows. The scan is applied as usual
// inside a savepoint; when its first-time host_down or port_closed conclusions exceed the share,
// it is applied again from the savepoint with those held back (their streaks still count), and one
// mass_absence event says what was held back and why.
import * as repo from '../db/ingest-repo';
import * as health from '../db/health-repo';
import { ChangeType } from '../common/types';
import { applyScan, FirstConclusions, type ApplyContext } from './apply-scan';

export interface MassAbsence {
  held_hosts: number;
  up_hosts: number;
  host_share: number;
  held_ports: number;
  open_ports: number;
  port_share: number;
  max_absence: number;
}

const share = (n: number, of: number): number => (of === 0 ? 0 : n / of);

/**
 * Fewer first-time conclusions than this are never a mass absence, whatever their share: on a
 * scanner that knows three ports, one closed port is news, not a broken scan, and the thresholds
 * keep meaning what they say.
 */
const MASS_ABSENCE_MIN = 5;

const tripped = (n: number, s: number, max: number): boolean => n >= MASS_ABSENCE_MIN && s > max;

/** Applies the scan under max_absence (a fraction 0..1); returns the changes per type mask and the mass absence, if any. */
export async function applyGuarded(ctx: ApplyContext, maxAbsence: number): Promise<{ counts: Map<number, number>; mass: MassAbsence | null }> {
  // Only a complete scan concludes anything negative; 100 % can never be exceeded.
  if (!ctx.complete || maxAbsence >= 1) return { counts: await applyScan(ctx), mass: null };
  const known = await health.countKnown(ctx.trx, ctx.scannerId);
  await health.savepoint.set(ctx.trx);
  const firsts = new FirstConclusions();
  const counts = await applyScan({ ...ctx, hold: false, firsts });
  const mass: MassAbsence = {
    held_hosts: firsts.hosts, up_hosts: known.hosts, host_share: share(firsts.hosts, known.hosts),
    held_ports: firsts.ports, open_ports: known.ports, port_share: share(firsts.ports, known.ports), max_absence: maxAbsence,
  };
  if (!tripped(mass.held_hosts, mass.host_share, maxAbsence) && !tripped(mass.held_ports, mass.port_share, maxAbsence)) {
    await health.savepoint.release(ctx.trx);
    return { counts, mass: null };
  }
  await health.savepoint.rollback(ctx.trx);
  await health.savepoint.release(ctx.trx);
  ctx.notes?.clear();
  await applyScan({ ...ctx, hold: true, firsts: new FirstConclusions() });
  await health.insertScannerEvent(ctx.trx, {
    scannerId: ctx.scannerId, scanId: ctx.scanId, type: ChangeType.mass_absence, at: ctx.at, details: { ...mass },
  });
  return { counts: await repo.countChanges(ctx.trx, ctx.scanId), mass };
}
