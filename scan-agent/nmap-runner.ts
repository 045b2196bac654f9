// Runs nmap on one subnet (argv, never a shell) and streams its XML, gzipped, into a file.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { PortdeltaError } from '../common/errors';
import { parseTarget } from '../common/ip';

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A TCP port scan of nmap's top 1000 ports with host discovery kept, so hosts that are down are
 * known too. As root it is a SYN scan and, on the local segment, ARP discovery that records MACs;
 * otherwise a connect scan (no MACs: nmap needs raw sockets for them).
 */
export function defaultNmapArgs(): string[] {
  return [isRoot() ? '-sS' : '-sT', '-T4'];
}

const isV6Target = (target: string): boolean => (parseTarget(target) ?? []).some((r) => !r.lo.startsWith('00000000000000000000ffff'));

/** The whole argv: the configured options, -6 for an IPv6 subnet, XML to stdout, and the one target. */
export function nmapArgv(options: readonly string[], target: string): string[] {
  const v6 = isV6Target(target) && !options.includes('-6') ? ['-6'] : [];
  return [...options, ...v6, '-oX', '-', target];
}

export async function scanToGzipFile(nmapPath: string, argv: readonly string[], file: string): Promise<void> {
  const child = spawn(nmapPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString('utf8');
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  exited.catch(() => undefined);
  try {
    await pipeline(child.stdout, zlib.createGzip(), fs.createWriteStream(file, { mode: 0o600 }));
    const code = await exited;
    if (code !== 0) {
      throw new PortdeltaError('IO', `nmap exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}`, {
        remedy: 'run the same nmap command by hand to see why; check nmap_args',
      });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).syscall?.startsWith('spawn')) {
      throw new PortdeltaError('IO', `nmap not found ('${nmapPath}')`, { remedy: 'install nmap (apt-get install nmap) or set nmap_path in the agent config' });
    }
    throw err;
  }
}
