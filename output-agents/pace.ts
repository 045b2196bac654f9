// At most one message a second to one webhook URL (Slack's and Teams' incoming webhooks allow about
// one; more are answered 429). Kept per URL for the whole process, so two agents posting to one
// channel, or a split digest, wait their turn; it waits only as long as needed.
const GAP_MS = 1000;
const lastSent = new Map<string, number>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when a message may go to `url`, and counts it as sent then. */
export async function paceFor(url: string): Promise<void> {
  for (;;) {
    const wait = (lastSent.get(url) ?? -Infinity) + GAP_MS - Date.now();
    if (wait <= 0) break;
    await sleep(wait);
  }
  lastSent.set(url, Date.now());
}
