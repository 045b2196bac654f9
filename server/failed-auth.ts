// Failed token attempts per client address: after MAX_FAILURES unknown tokens within WINDOW_MS, that
// address is answered 429 on anything that offers a token (a login, a bearer header) until the
// window has passed, so tokens cannot be guessed at the speed of the network. Behind a reverse
// proxy every client has the proxy's address; a flood of wrong tokens then locks out the proxy's
// users for the window too (docs/dashboard.md), which is the lesser harm. Kept in memory: a
// restart forgets it, like the sessions.
export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60e3;
/** Addresses remembered at most; past that the oldest goes, so a flood cannot grow the memory. */
const MAX_ADDRESSES = 10_000;

export class FailedAuth {
  private readonly seen = new Map<string, { n: number; since: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds until `address` may offer a token again; 0 when it may now. */
  waitSeconds(address: string): number {
    const f = this.seen.get(address);
    if (!f) return 0;
    const left = f.since + WINDOW_MS - this.now();
    if (left <= 0) {
      this.seen.delete(address);
      return 0;
    }
    return f.n >= MAX_FAILURES ? Math.ceil(left / 1000) : 0;
  }

  failed(address: string): void {
    const now = this.now();
    const f = this.seen.get(address);
    if (f && f.since + WINDOW_MS > now) f.n++;
    else {
      this.seen.delete(address);
      if (this.seen.size >= MAX_ADDRESSES) this.seen.delete(this.seen.keys().next().value as string);
      this.seen.set(address, { n: 1, since: now });
    }
  }
}
