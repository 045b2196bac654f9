// Every command, declared in one place; its implementation is imported only when it runs, so
// `portdelta --help` and cron's many short runs do not load the database drivers they do not need.
import type { Command } from 'commander';
import { collect } from '../common/query-options';
import type { Action, CommandAccess } from './io';


export interface CommandSpec {
  name: string;
  args?: string;
  summary: string;
  example: string;
  options(cmd: Command): void;
  load(): Promise<{ run: Action }>;
  /** What the command does with the store: only `create` commands may make a new one (DESIGN §5). */
  db?: CommandAccess['db'];
  /** More --help text after the example (e.g. the agent's own configuration). */
  help?: string;
  /** The top-level configuration keys it reads; ${VAR}s elsewhere in the file stay unresolved. */
  uses?: readonly ConfigKey[];
}

/** Top-level keys of the configuration file (config/config.ts). */
type ConfigKey = 'database' | 'scanners' | 'inbox' | 'inbox_settle' | 'smtp' | 'policy' | 'output_agents' | 'server' | 'dual_stack';

// The keys a command that delivers changes reads: agents, their mail server, their policy, the groups.
const DELIVERS: readonly ConfigKey[] = ['database', 'scanners', 'smtp', 'policy', 'output_agents'];

// Spelled out here rather than read from the registry, so --help does not load the input agents.
const FORMATS = 'nmap-xml, nmap-grepable, masscan-xml, masscan-json (-oJ and -oD), masscan-list, zmap-csv, naabu-json, portdelta-csv';

const scannerNet = (cmd: Command) =>
  cmd.option('--scanner <name>', 'only this scanner').option('--network <cidr>', 'only addresses in this CIDR or range (repeatable)', collect);

/** What `ingest` and `diff` take to read scan files: whose they are, their format and their scope. */
const scanFiles = (cmd: Command, scanner: string) =>
  cmd
    .option('--scanner <name>', scanner)
    .option('--format <name>', `skip content detection: ${FORMATS}`)
    .option('--scope <targets>', 'hosts the scan covered: CIDRs, addresses, ranges (repeatable, comma-separated)', collect)
    .option('--ports <spec>', "ports the scan covered, nmap's -p syntax (1-1024,U:53)");

const atTime = (cmd: Command) =>
  scannerNet(cmd).option('--at <time>', 'as the scanners saw it at this past time (ISO date, or this long ago: 7d), worked back from the recorded changes');

const settle = (cmd: Command) =>
  cmd.option('--settle <duration>', 'how long a file must stay unchanged before it is taken (default: inbox_settle, 5s)');

// The agent reads its own file, not the server's portdelta.yaml; kept in step with
// scan-agent/config.ts by test/cli/agent-help.test.ts (without loading it for --help).
const AGENT_HELP = `
Configuration: the agent's own YAML file, read from --config FILE, else PORTDELTA_AGENT_CONFIG,
else /etc/portdelta/agent.yaml (PORTDELTA_CONFIG and the server's portdelta.yaml do not apply).
\${VAR} in a value is taken from the environment. Keys (docs/agent.md):
  subnets            CIDRs or addresses to scan, with or instead of phpIPAM
  api_url, client_name, client_token, scanagent_code
                     phpIPAM's API (all four, or none): the subnets assigned to this agent
  cache_expire_time  seconds a phpIPAM answer is kept (1800); epoch_time_offset shifts the clock (0)
  http_server        the portdelta server, https://host[:port] (http:// only to loopback with a token)
  http_port          its port when http_server names none (5000)
  auth_token         the upload token (server.tokens on the server)
  scanner            the scanner name the token must belong to
  ca_file            PEM file of a private CA for phpIPAM and the server
  nmap_args          nmap options (no targets, no -o*); nmap_path: the nmap binary (nmap)
  cache_dir          cached phpIPAM answers; outbox_dir: reports not delivered yet
`;

export const COMMANDS: readonly CommandSpec[] = Object.freeze([
  {
    name: 'migrate',
    db: 'create',
    uses: ['database'],
    summary: 'create or upgrade the database schema',
    example: 'portdelta --db postgres://portdelta@db.example.org/portdelta migrate',
    options: () => undefined,
    load: () => import('./migrate'),
  },
  {
    name: 'ingest',
    db: 'create',
    uses: ['database', 'scanners'],
    args: '<file...>',
    summary: 'read scan files (or - for stdin) and record what changed',
    example: 'portdelta ingest --scanner scan-in /var/spool/scans/nmap-tcp.xml',
    options: (cmd) =>
      scanFiles(cmd, 'the scanner (vantage point) that produced the files (default: the file header, else "default")')
        .option('--exit-code', 'exit 1 when changes were found'),
    // Its parse threads start first, and load their modules while the command loads its own.
    load: async () => {
      (await import('../delta-reporter/part-threads')).warmPartThreads();
      return import('./ingest');
    },
  },
  {
    name: 'convert',
    uses: ['scanners'],
    args: '<file>',
    summary: 'write a native scan file (or - for stdin) as the uniform CSV on stdout',
    example: 'portdelta convert --scanner dmz-external --scope 192.0.2.0/24 --ports 1-1024 masscan.json > scan.csv',
    options: (cmd) =>
      cmd
        .option('--format <name>', `skip content detection: ${FORMATS}`)
        .option('--scanner <name>', 'the scanner name written into the header (#scanner=)')
        .option('--scope <targets>', 'hosts the scan covered, for the header (#scope=): CIDRs, addresses, ranges (repeatable, comma-separated)', collect)
        .option('--ports <spec>', "ports the scan covered, for the header (#ports=), nmap's -p syntax"),
    load: () => import('./convert'),
  },
  {
    name: 'diff',
    uses: ['scanners'],
    args: '<fileA> <fileB>',
    summary: "what changed from scan A to scan B of one scanner, by portdelta's rules, without a database; exit 0 no change, 1 changes, 2 error",
    example: 'portdelta diff --scanner scan-in night1/nmap-tcp.xml night2/nmap-tcp.xml',
    options: (cmd) =>
      scanFiles(cmd, 'the scanner both files are of: its thresholds, scope and open_filtered from the config (default: the file header, else "default")'),
    load: () => import('./diff'),
  },
  {
    name: 'changes',
    db: 'read',
    uses: ['database', 'policy'],
    summary: 'list recorded changes',
    example: 'portdelta changes --since 24h --type new_port,port_reopened --network 10.66.1.0/24',
    options: (cmd) =>
      scannerNet(
        cmd
          .option('--since <time>', 'changes detected at or after this time (ISO date) or this long ago (36h, 7d)')
          .option('--after-id <id>', 'changes with an id greater than this (for scripts that remember where they stopped)')
          .option('--type <names|mask>', 'change types as names (new_host,new_port,…) or a numeric mask'),
      ).option('--exit-code', 'exit 1 when changes were found')
        .option('--report <run>', "the changes one report run took (the run id a report's \"not listed\" line gives)")
        .option('--unlisted', 'with --report: only the changes the report counted but did not list (max_listed)')
        .option('--scan-id <id>', 'only the changes of this scan (the id `ingest` and the dashboard give)')
        .option('--verdict <verdict>', "only the changes the target-state policy expects (expected), breaks (unexpected) or has no rule for (none), as the output agents judge them")
        .option('--policy <file>', 'with --verdict: the policy file, YAML or CSV (default: `policy` in the configuration)'),
    load: () => import('./changes'),
  },
  {
    name: 'state',
    db: 'read',
    uses: ['database'],
    summary: 'current open ports per scanner',
    example: 'portdelta state --scanner scan-in --network 10.66.1.0/24 --at 2026-11-20T12:00:00Z',
    options: atTime,
    load: () => import('./state'),
  },
  {
    name: 'hosts',
    db: 'read',
    uses: ['database'],
    summary: 'known hosts per scanner, up and down',
    example: 'portdelta hosts --scanner scan-out --at 7d',
    options: atTime,
    load: () => import('./hosts'),
  },
  {
    name: 'scanners',
    // It records a scanner_silent event when it notices one, so it writes; it never creates a store.
    db: 'write',
    uses: ['database', 'scanners'],
    summary: "each scanner's health: last applied scan, scans in 7 days, last failed file, silent since (expect_every)",
    example: 'portdelta scanners --json',
    options: () => undefined,
    load: () => import('./scanners'),
  },
  {
    name: 'report',
    db: 'write',
    uses: DELIVERS,
    summary: 'run the output agents: deliver each new change to the agents whose filters it matches',
    example: 'portdelta report --agent soc-mail --dry-run',
    options: (cmd) =>
      cmd
        .option('--agent <name>', 'only this output agent (repeatable; default: all)', collect)
        .option('--dry-run', 'show what each agent would take and record nothing'),
    load: () => import('./report'),
  },
  {
    name: 'disagreements',
    db: 'read',
    uses: ['database', 'scanners', 'dual_stack'],
    summary: 'ports some scanners of a group report open and others, having scanned them, do not (--family: a host\'s IPv4 and IPv6 addresses)',
    example: 'portdelta disagreements --group inside --network 10.66.1.0/24',
    options: (cmd) =>
      cmd
        .option('--group <name>', 'only this scanner group (scanners.NAME.group in the config)')
        .option('--family', "instead: ports one scanner sees open on a host's IPv4 address and not on its IPv6 address, or the reverse (hosts linked by one PTR name or by dual_stack in the config)")
        .option('--network <cidr>', 'only addresses in this CIDR or range (repeatable)', collect)
        .option('--exit-code', 'exit 1 when disagreements were found'),
    load: () => import('./disagreements'),
  },
  {
    name: 'audit',
    db: 'read',
    uses: ['database', 'scanners', 'policy'],
    summary: 'open ports now that break the target-state policy (docs/target-state.md), or certificates about to expire',
    example: 'portdelta audit --policy /etc/portdelta/policy.yaml --network 10.66.1.0/24; portdelta audit --cert-expiry 30d',
    options: (cmd) =>
      scannerNet(cmd.option('--policy <file>', 'the policy file, YAML or CSV (default: `policy` in the configuration)'))
        .option('--cert-expiry <duration>', 'instead: the TLS certificates on open ports that expire within this time (30d), or have expired; needs no policy')
        .option('--exit-code', 'exit 1 when an open port breaks the policy (with --cert-expiry: when a certificate is listed)'),
    load: () => import('./audit'),
  },
  {
    name: 'serve',
    db: 'create',
    uses: ['database', 'scanners', 'inbox', 'server', 'policy'],
    summary: 'HTTPS upload API for scan agents (tokens bound to scanners) and a read-only JSON API',
    example: 'portdelta --config /etc/portdelta/portdelta.yaml serve --listen 0.0.0.0:5000',
    options: (cmd) =>
      cmd
        .option('--listen <host:port>', 'address to listen on (default: server.listen, else 127.0.0.1:5000)')
        .option('--ingest', 'ingest each upload at once instead of queueing it in the inbox')
        .option('--inbox <dir>', 'where uploads are queued for the watcher, as <dir>/<scanner>/ (default: inbox in the config)'),
    load: () => import('./serve'),
  },
  {
    name: 'agent',
    uses: [],
    summary: 'remote scan agent: scan the subnets from its own config (--config agent.yaml) or phpIPAM with nmap, upload the results',
    example: 'portdelta agent --config /etc/portdelta/agent.yaml',
    help: AGENT_HELP,
    options: () => undefined,
    load: () => import('./agent'),
  },
  {
    name: 'watch',
    db: 'create',
    uses: ['database', 'scanners', 'inbox', 'inbox_settle'],
    args: '[inbox]',
    summary: 'ingest files dropped into INBOX/<scanner>/ as they arrive (a daemon; --once for one pass)',
    example: 'portdelta watch /var/spool/portdelta/inbox',
    options: (cmd) => settle(cmd.option('--once', 'take the files that are complete now, then exit (exit 2 if any failed)')),
    load: () => import('./watch'),
  },
  {
    name: 'run',
    db: 'create',
    uses: [...DELIVERS, 'inbox', 'inbox_settle'],
    summary: 'nightly job: ingest everything waiting in the inbox, then run every output agent',
    example: 'flock -n /run/lock/portdelta.lock portdelta run',
    options: (cmd) => settle(cmd.option('--inbox <dir>', 'the inbox folder (default: inbox in the configuration)')),
    load: () => import('./run'),
  },
  {
    name: 'cleanup',
    db: 'write',
    uses: ['database'],
    summary: 'delete state, changes and deliveries by age, scanner or address, in one transaction',
    example: 'portdelta cleanup --older-than 180d --dry-run',
    options: (cmd) =>
      cmd
        .option('--older-than <duration|date>', 'changes detected, state last seen and scans made before this long ago (180d) or this date')
        .option('--scanner <name>', 'everything of this scanner (with another selector: only that scanner\'s part)')
        .option('--range <cidr>', 'state and changes of the addresses in this CIDR or range (repeatable)', collect)
        .option('--ip <address>', 'state and changes of this address (repeatable)', collect)
        .option('--dry-run', 'print the counts that would be deleted, delete nothing'),
    load: () => import('./cleanup'),
  },
  {
    name: 'demo',
    uses: [],
    summary: 'ingest bundled real scans of six nights into a temporary SQLite and show what changed',
    example: 'portdelta demo',
    options: (cmd) =>
      cmd
        .option('--keep', 'keep the temporary database and print its path')
        .option('--serve', 'then serve the dashboard on 127.0.0.1 (a free port) with a one-time login token, until Ctrl-C'),
    load: () => import('./demo'),
  },
]);
