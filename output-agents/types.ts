// The output-agent contract (DESIGN §4, STYLE "Plug-in contracts"): one small interface per kind,
// implemented once per file and listed in output-agents/registry.ts.
import type { PolicyRegions } from '../db/audit-repo';
import type { ChangeRow, Disagreement, Proto } from '../common/types';
import type { SeenHost } from '../db/host-seen-repo';

/** What the target-state policy says about a change (output-agents/policy.ts). */
export interface PolicyVerdict {
  /** true: the policy allows it; false: it breaks the policy; null: no rule covers it. */
  expected: boolean | null;
  owner: string | null;
  note: string | null;
}

/** A change as an output agent hands it on: the stored change plus what the report knows of it. */
export interface ReportChange extends ChangeRow {
  /** With `duplicates: confirm`: the id of the equivalent change already delivered to this target group. */
  confirms: number | null;
  /** The scan's start time (ISO-8601 UTC), else its finish time; null when the file had none. */
  scan_time: string | null;
  policy: PolicyVerdict;
  /** The change in words ("port 8443/tcp newly open"), from common/describe.ts. */
  text: string;
}

/**
 * A scanner's baseline (the changes of its first applied scan) as one record: what an agent
 * without include_baseline delivers in their place. Counts are of the baseline changes it took.
 */
export interface BaselineSummary {
  baseline: true;
  scanner: string;
  scan_id: number;
  /** Baseline changes taken (host and port events). */
  changes: number;
  hosts_up: number;
  open_ports: number;
  detected_at: string;
  /** 'baseline of scan-in: 19,759 hosts up, 59,032 open ports' */
  text: string;
  /** The command that lists what it found: 'portdelta state --scanner scan-in'. */
  command: string;
}

/** Everything one agent delivers in one run. */
export interface ChangeBatch {
  agent: string;
  targetGroup: string | null;
  /** Changes to report one by one (without include_baseline: no baseline changes). */
  changes: ReportChange[];
  /** One per scanner whose baseline changes this run took in summary; absent or empty: none. */
  baselines?: Array<BaselineSummary & { change_ids: number[] }>;
  /** max_listed: the most changes a mail or text report lists; absent: every change. */
  maxListed?: number;
  /** The run's id, for `portdelta changes --report RUN --unlisted` (the changes not listed). */
  run?: string;
  /** For agents with `include_disagreements: true`; else empty. */
  disagreements: Disagreement[];
  generatedAt: Date;
}

/** What a delivery may use besides its options; injected so tests and dry runs can swap parts. */
export interface DeliveryDeps {
  /** The validated `smtp` section of the configuration, if any. */
  smtp?: SmtpSettings;
  /** Lines for the run's log (stderr), already prefixed with the agent's name by the runner. */
  log(line: string): void;
  now(): Date;
  /**
   * A delivery that sends change by change (per-change hooks) reports each one that went out, and
   * awaits it before the next: the runner records them in groups, so a run killed midway repeats at
   * most the changes after the last group. It never throws. Absent in dry runs and tests.
   */
  progress?(ids: number[]): Promise<void>;
  /**
   * The hosts the batch's scans saw up (changed or not), for inventories that record sightings
   * (kind phpipam). Absent in dry runs and tests that build a batch by hand.
   */
  hostsSeen?(scanIds: number[]): Promise<SeenHost[]>;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /** secure: false only. true: STARTTLS when the server offers it, required when logging in; false: plain (loopback hosts). */
  starttls: boolean;
  from?: string;
  user?: string;
  password?: string;
  /** Validate the server's certificate (default true). */
  tls_verify: boolean;
  timeout_ms: number;
}

export type ParseResult<O> = { value: O; errors?: undefined } | { errors: string[]; value?: undefined };

/** What a kind's options depend on besides their own keys. */
export interface OptionsContext {
  /** The configuration file's folder: relative paths in the options count from here (as `policy` does). */
  baseDir: string;
  /** The keys every agent entry has beside the kind's own (name, kind, types, …): for "did you mean". */
  entryKeys?: readonly string[];
}

/** Without a configuration file (tests, a config built in code): the current directory. */
export const CWD_CONTEXT: OptionsContext = Object.freeze({ baseDir: '.' });

/**
 * A kind of output agent. `deliver` resolves when every change of the batch was delivered; a failed
 * send throws a DeliveryError (common/errors.ts) with a remedy, whose `deliveredIds` are the changes
 * delivered before it failed (e.g. per-change hooks); every other change is retried on the next run.
 */
export interface OutputAgent<O> {
  readonly kind: string;
  /**
   * true: without `include_baseline` in its entry the kind gets a scanner's first scan change by
   * change, not as a summary: an inventory kept in step needs every host and port it found.
   */
  readonly baselineChanges?: boolean;
  /** Validates this kind's own options (everything of the agent's entry besides the common keys). */
  parseOptions(raw: Record<string, unknown>, ctx?: OptionsContext): ParseResult<O>;
  deliver(batch: ChangeBatch, options: O, deps: DeliveryDeps): Promise<void>;
}

/** The target-state policy (output-agents/policy.ts loads it from YAML or CSV). */
export interface Policy {
  /**
   * Opening changes (new_port, port_reopened) are expected when the policy allows the port open;
   * port_closed is expected when it does not; host events get the owner of the ip and expected null.
   */
  judge(change: { ip: string; proto: Proto | null; port: number | null; type: number }): PolicyVerdict;
  /** The same policy as address regions and port boxes, when it can say so (policy-match.ts), for SQL. */
  regions?(): PolicyRegions;
}
