// An inbox filled with the real lab-a nights, a watcher run as a child process, and the comparable
// part of changes (ids and scan ids differ between runs; PostgreSQL spends sequence numbers on
// rolled-back transactions).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT, SCANS } from './cli';
import type { ChangeRow } from '../../common/types';

export const LAB = path.join(SCANS, 'lab-a');

export interface InboxFile {
  scanner: string;
  /** Name inside inbox/<scanner>/. */
  name: string;
  source: string;
}

/**
 * Every nmap scan of lab-a, both scanners, in scan order per scanner (night, then TCP before UDP).
 * scan-in sends XML, scan-out -oG, so both kinds of header are read for the scan time.
 */
export function labFiles(): InboxFile[] {
  const out: InboxFile[] = [];
  for (let n = 1; n <= 6; n++) {
    for (const [scanner, ext] of [['scan-in', 'xml'], ['scan-out', 'gnmap']]) {
      for (const kind of ['tcp', 'udp']) {
        const source = path.join(LAB, `night${n}`, scanner, `nmap-${kind}.${ext}`);
        if (fs.existsSync(source)) out.push({ scanner, name: `night${n}-${kind}.${ext}`, source });
      }
    }
  }
  return out;
}

export class TempDir {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-inbox-'));
  readonly inbox = path.join(this.dir, 'inbox');

  constructor() {
    fs.mkdirSync(this.inbox);
  }

  /** Copies the files in; the newest scan gets the oldest mtime, so only the scan time gives the right order. */
  fill(files: InboxFile[]): void {
    const base = Date.now() / 1000 - 3600;
    files.forEach((f, i) => {
      const dest = path.join(this.inbox, f.scanner, f.name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(f.source, dest);
      const t = base - i * 60;
      fs.utimesSync(dest, t, t);
    });
  }

  write(rel: string, content: string | Buffer, mtimeAgoSeconds?: number): string {
    const dest = path.join(this.inbox, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, content);
    if (mtimeAgoSeconds !== undefined) {
      const t = Date.now() / 1000 - mtimeAgoSeconds;
      fs.utimesSync(dest, t, t);
    }
    return dest;
  }

  /** Every file below `rel` (relative paths), sorted. */
  files(rel = ''): string[] {
    const root = path.join(this.inbox, rel);
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((p) => fs.statSync(path.join(root, p)).isFile())
      .map((p) => p.split(path.sep).join('/'))
      .sort();
  }

  /** The files still waiting (not in archive/ or failed/). */
  waiting(): string[] {
    return this.files().filter((p) => !p.startsWith('archive/') && !p.startsWith('failed/'));
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A `portdelta watch` daemon. */
export class Watcher {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }
}

/** Polls until `ok()` holds; fails with `what` after `ms` (a hang, not a speed check). */
export async function waitFor(what: string, ok: () => boolean, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A change without the numbers that depend on how many transactions ran before it. */
function comparable(c: ChangeRow): Omit<ChangeRow, 'id' | 'scan_id'> {
  const { id: _id, scan_id: _scan, ...rest } = c;
  return rest;
}

const keyOf = (c: Omit<ChangeRow, 'id' | 'scan_id'>) => JSON.stringify(c);
export const comparableSet = (list: ChangeRow[]): string[] => list.map((c) => keyOf(comparable(c))).sort();

/** `temp()` gives a fresh TempDir; all are removed after each test. */
export function useTempDirs(): () => TempDir {
  let made: TempDir[] = [];
  afterEach(() => {
    for (const t of made) t.remove();
    made = [];
  });
  return () => {
    const t = new TempDir();
    made.push(t);
    return t;
  };
}
