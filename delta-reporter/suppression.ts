// Why a scan did not conclude something it might look as if it should have: a host it does not
// list that stays up, a reported-open port it does not list that stays open. The apply path notes
// the reason at the point where it decides (apply-scan.ts), so `diff` can explain its silence
// without a second copy of the scope, completeness and threshold rules.
import type { Proto } from '../common/types';

export type SuppressionReason =
  /** the scan is incomplete: it concludes nothing negative */
  | 'incomplete'
  /** the host was outside the scan's host scope */
  | 'host_out_of_scope'
  /** nmap timed out on the host */
  | 'host_timed_out'
  /** the host was missing, but fewer than down_after scans in a row */
  | 'down_after'
  /** the port was outside the scan's port scope */
  | 'port_out_of_scope'
  /** the scan could not tell (ports it summed up as open|filtered without listing them) */
  | 'port_unknown'
  /** the port was open|filtered, which is no evidence unless open_filtered: open */
  | 'open_filtered'
  /** the host answered on more than max_open_ports ports: no evidence for single ports */
  | 'all_ports'
  /** the port was missing, but fewer than close_after scans in a row */
  | 'close_after'
  /** the port was open, but fewer than open_after scans in a row */
  | 'open_after'
  /** max_absence held back a first host_down or port_closed of this scan */
  | 'held';

export interface Suppression {
  ip: string;
  /** null for a host. */
  proto: Proto | null;
  port: number | null;
  reason: SuppressionReason;
  /** For the threshold reasons: the scans in a row so far, and the threshold. */
  streak?: number;
  threshold?: number;
}

/** Collects the notes of one apply; absent (undefined) in ordinary ingests, which pay nothing for it. */
export class Suppressions {
  readonly list: Suppression[] = [];

  add(s: Suppression): void {
    this.list.push(s);
  }

  /** A mass-absence scan is applied twice; the notes of the discarded first pass go. */
  clear(): void {
    this.list.length = 0;
  }
}
