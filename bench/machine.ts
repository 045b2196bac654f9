// The machine a run was measured on: the figures mean little without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, messageOf } from './common';
import { pgQuery } from './databases';
import { TIME, hasTime } from './measure';
import { whichNdiff } from './ndiff';
import type { Options } from './options';

export interface Machine {
  date: string;
  cpus: string;
  cpu: string;
  memory: string;
  os: string;
  kernel: string;
  node: string;
  sqlite: string | null;
  postgres: string | null;
  ndiff: string;
  time: string;
  disk: string;
  loadStart: number[];
  /** Set by the run when it ends. */
  loadEnd: number[] | null;
}

/** A shell command's output, '' when it fails: every figure here is optional. */
function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function cpuModel(): string {
  return (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
}

function osName(): string {
  const pretty = fs.existsSync('/etc/os-release') ? (fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m) ?? [])[1] : null;
  return pretty ?? `${os.type()} ${os.release()}`;
}

function timeTool(): string {
  if (!hasTime) return 'not installed: peak RSS of node children from process.resourceUsage() (bench/rss.js); ndiff RSS unknown';
  return `${TIME} (GNU time ${sh("dpkg-query -W -f '${Version}' time") || sh(`${TIME} --version 2>&1 | head -n 1`)})`;
}

/** node-sqlite3's SQLite version, as the ingest loads it from the project's node_modules. */
function sqliteVersion(): string | null {
  try {
    const load = createRequire(`${ROOT}/`);
    return (load(path.join(ROOT, 'node_modules', 'sqlite3')) as { VERSION: string }).VERSION;
  } catch {
    return null;
  }
}

async function postgresVersion(url: string): Promise<string> {
  try {
    return (await pgQuery<{ server_version: string }>(url, 'SHOW server_version')).rows[0].server_version;
  } catch (e) {
    return `unreachable (${messageOf(e)})`;
  }
}

export async function machine(opts: Options): Promise<Machine> {
  return {
    date: new Date().toISOString(),
    cpus: sh('nproc') || String(os.cpus().length),
    cpu: cpuModel(),
    memory: sh("free -h | awk '/^Mem:/ {print $2 \" total, \" $7 \" available\"}'") || `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: osName(),
    kernel: os.release(),
    node: process.version,
    sqlite: sqliteVersion(),
    postgres: opts.dbs.includes('pg') ? await postgresVersion(opts.pg) : null,
    ndiff: sh("dpkg-query -W -f '${Version}' ndiff") || (whichNdiff() ? 'installed' : 'not installed'),
    time: timeTool(),
    disk: sh(`df -h ${JSON.stringify(opts.out)} | awk 'NR==2 {print $1 " " $2}'`),
    loadStart: os.loadavg(),
    loadEnd: null,
  };
}
