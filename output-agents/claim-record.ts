// Keeping one run's claims in the database while its agent delivers, and after: the lease renewed
// every minute, a per-change delivery's progress recorded as it goes, and the end recorded with a
// few retries, because a change that went out but is not recorded goes out again later.
import { finishClaims, markDelivered, renewLease, type Store } from '../db/delivery-marks';
import { databaseReason } from '../db/db-errors';

/** A crashed run's claims are taken over this long after their last renewal. */
export const LEASE_MS = 5 * 60_000;
const RENEW_MS = 60_000;
/** Progress is recorded after this many changes, or at the first change this long after the last record. */
export const PROGRESS_EVERY = 20;
const PROGRESS_MS = 5_000;
/** The waits before each retry of the final record (each try itself waits for locks, lockWaitMs). */
const RETRY_MS = [500, 1_000, 2_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ClaimRecorder {
  private readonly renewal: NodeJS.Timeout;
  private unsaved: number[] = [];
  private savedAt: number;

  constructor(
    private readonly db: Store,
    private readonly token: string,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {
    this.savedAt = now();
    this.renewal = setInterval(() => {
      renewLease(db, token, now() + LEASE_MS).catch((e) => log(`could not renew the claim: ${databaseReason(e)}`));
    }, RENEW_MS);
    this.renewal.unref();
  }

  /**
   * DeliveryDeps.progress: `ids` went out. Recorded in groups; a failure is logged and left to the
   * final record, which covers every change sent. Never throws.
   */
  readonly progress = async (ids: number[]): Promise<void> => {
    this.unsaved.push(...ids);
    if (this.unsaved.length < PROGRESS_EVERY && this.now() - this.savedAt < PROGRESS_MS) return;
    const group = this.unsaved;
    this.unsaved = [];
    this.savedAt = this.now();
    try {
      await markDelivered(this.db, this.token, group, this.now());
    } catch (e) {
      this.log(`could not record progress, the end of the run tries again: ${databaseReason(e)}`);
    }
  };

  /**
   * Marks `sent` (every claimed change when omitted) delivered and gives the rest back, retrying
   * with back-off; throws the last error when every try failed, and then leaves all claims as they
   * are: claimed until their lease runs out.
   */
  async finish(sent?: number[]): Promise<void> {
    clearInterval(this.renewal);
    for (let attempt = 0; ; attempt++) {
      try {
        await finishClaims(this.db, this.token, this.now(), sent);
        return;
      } catch (e) {
        if (attempt >= RETRY_MS.length) throw e;
        this.log(`could not record the deliveries (${databaseReason(e)}), trying again`);
        await sleep(RETRY_MS[attempt]);
      }
    }
  }
}
