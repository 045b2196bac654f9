// The chat platforms a webhook can speak (docs/output-agents.md, "webhook"): one file per style
// behind this interface, listed in ./registry.ts. A style turns a run's digest into the messages
// its platform takes, each within the platform's limits, with network text escaped its way.

/** One line of the digest as plain text (not yet escaped), with the change ids it stands for. */
export interface DigestLine {
  text: string;
  ids: number[];
  /** Our own reference, shown as it is: 'change 12' (what `portdelta changes` and the SIEM records call it). */
  ref: string | null;
}

/** One run of one agent, for a person: a headline and a line per change or baseline summary. */
export interface Digest {
  agent: string;
  /** '3 changes' */
  count: string;
  lines: DigestLine[];
  /** Some change breaks the target-state policy (a platform may colour the message). */
  unexpected: boolean;
}

/** One HTTP POST: its JSON body and the change ids it carries. */
interface ChatMessage {
  body: unknown;
  ids: number[];
}

export interface ChatStyle {
  readonly name: 'slack' | 'teams' | 'mattermost';
  messages(digest: Digest): ChatMessage[];
}
