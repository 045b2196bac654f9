// One database driven through the CLI (in-process, test/helpers/cli.ts): ingest files one command at a time and see, after
// each, exactly the changes that command added, plus the state and hosts it left behind.
import { cli, cliJson } from './cli';
import type { ChangeRow } from '../../common/types';

export interface IngestResult {
  source: string;
  scanner: string;
  format: string;
  status: 'applied' | 'stale' | 'duplicate' | 'failed';
  scan_id: number;
  complete: boolean;
  hosts_up: number;
  ports_open: number;
  changes: Record<string, number>;
  change_count: number;
  warnings: string[];
  absence?: { hosts: boolean; ports: boolean };
  skipped_records?: number;
  error?: string;
}

export interface StateRow {
  scanner: string;
  ip: string;
  proto: string;
  port: number;
  last_change: number;
}

export interface HostRow {
  scanner: string;
  ip: string;
  status: 'up' | 'down';
  open_ports: number;
}

export interface Snapshot {
  changes: ChangeRow[];
  state: StateRow[];
  hosts: HostRow[];
}

export class Session {
  private lastId = 0;

  constructor(
    readonly db: string,
    readonly opts: { config?: string; scanner?: string } = {},
  ) {}

  private get base(): string[] {
    return ['--db', this.db, ...(this.opts.config ? ['--config', this.opts.config] : [])];
  }

  /** `ingest --json FILE...` that must exit 0; returns the summaries and the changes it added. */
  ingest(...files: string[]): Promise<{ summaries: IngestResult[]; added: ChangeRow[] }> {
    return this.ingestArgs(files);
  }

  /** The same with any ingest options (--scope, --ports, …) before the files. */
  async ingestArgs(args: string[]): Promise<{ summaries: IngestResult[]; added: ChangeRow[] }> {
    const scanner = this.opts.scanner ? ['--scanner', this.opts.scanner] : [];
    const summaries = await cliJson<IngestResult[]>([...this.base, 'ingest', ...scanner, ...args]);
    return { summaries, added: await this.newChanges() };
  }

  /** Ingests each file on its own and returns the changes each one added. */
  async replay(files: string[]): Promise<ChangeRow[][]> {
    const out: ChangeRow[][] = [];
    for (const f of files) out.push((await this.ingest(f)).added);
    return out;
  }

  async newChanges(): Promise<ChangeRow[]> {
    const rows = await cliJson<ChangeRow[]>([...this.base, 'changes', '--after-id', String(this.lastId)]);
    this.lastId = rows.reduce((m, r) => Math.max(m, r.id), this.lastId);
    return rows;
  }

  changes(): Promise<ChangeRow[]> {
    return cliJson<ChangeRow[]>([...this.base, 'changes']);
  }

  state(): Promise<StateRow[]> {
    return cliJson<StateRow[]>([...this.base, 'state']);
  }

  hosts(): Promise<HostRow[]> {
    return cliJson<HostRow[]>([...this.base, 'hosts']);
  }

  async snapshot(): Promise<Snapshot> {
    return { changes: await this.changes(), state: await this.state(), hosts: await this.hosts() };
  }

  /** Runs any command against this database (and config), without --json unless given. */
  run(args: string[], input?: string | Buffer) {
    return cli([...this.base, ...args], { input });
  }
}

/** The comparable part of a change for threshold tests: where, and which flags. */
const brief = (c: ChangeRow): { ip: string | null; proto: string | null; port: number | null; type: number } => ({
  ip: c.ip, proto: c.proto, port: c.port, type: c.type,
});

const byKey = <T extends { ip: string | null; port: number | null }>(a: T, b: T): number =>
  `${a.ip}|${String(a.port ?? -1).padStart(5, '0')}`.localeCompare(`${b.ip}|${String(b.port ?? -1).padStart(5, '0')}`);

/** The changes as sorted, comparable rows. */
export const briefs = (list: ChangeRow[]) => list.map(brief).sort(byKey);
