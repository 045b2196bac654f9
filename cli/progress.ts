// A one-line progress display for long ingests, on stderr, only when stderr is a terminal: cron
// mail and log files get nothing of it.
import type { ProgressStream } from './io';

export interface Progress {
  update(bytes: number, hosts: number, phase?: string): void;
  done(): void;
}

const NONE: Progress = { update: () => undefined, done: () => undefined };
const MB = 1048576;

export function progress(label: string, totalBytes: number | null, stream: ProgressStream): Progress {
  if (!stream.isTTY) return NONE;
  const start = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(bytes, hosts, phase) {
      const now = Date.now();
      if (now - start < 1000 || (!phase && now - last < 250)) return; // short ingests stay silent
      last = now;
      const secs = (now - start) / 1000;
      const pct = totalBytes ? ` ${((100 * bytes) / totalBytes).toFixed(0).padStart(3)} %` : '';
      const size = totalBytes ? `${(bytes / MB).toFixed(0)}/${(totalBytes / MB).toFixed(0)} MB` : `${(bytes / MB).toFixed(0)} MB`;
      const line = `${label}:${pct} ${size}, ${hosts.toLocaleString('en-US')} hosts, ${(bytes / MB / secs).toFixed(1)} MB/s${phase ? `; ${phase}…` : ''}`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
