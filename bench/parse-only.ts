// Parse-only: the nmap XML input agent alone over a file, as the ingest feeds it (1 MiB reads),
// counting what it yields. Prints one JSON line: {hosts, up, ports, open, complete, seconds}, where
// seconds is the parse itself, from opening the file to the last event (no process start-up).
// The agent comes from $BENCH_DIST (the build under test), not from this file's own build.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { nmapXml as NmapXml } from '../input-agents/nmap-xml';

/** The line this prints, as run-size.ts reads it. */
export interface ParseCounts {
  hosts: number;
  up: number;
  ports: number;
  open: number;
  complete: boolean;
  seconds: number;
}

function agent(): typeof NmapXml {
  const dist = process.env.BENCH_DIST || path.join(__dirname, '..');
  const load = createRequire(__filename);
  return (load(path.join(dist, 'input-agents', 'nmap-xml')) as { nmapXml: typeof NmapXml }).nmapXml;
}

async function main(file: string): Promise<void> {
  const nmapXml = agent();
  const t0 = process.hrtime.bigint();
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const c: ParseCounts = { hosts: 0, up: 0, ports: 0, open: 0, complete: false, seconds: 0 };
  for await (const ev of nmapXml.parse(input, { source: file })) {
    if (ev.kind === 'host') {
      c.hosts++;
      if (ev.status === 'up') c.up++;
      c.ports += ev.ports.length;
      for (const p of ev.ports) if (p.state === 'open') c.open++;
    } else if (ev.kind === 'end') c.complete = ev.complete;
  }
  c.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify(c) + '\n');
}

if (require.main === module) {
  main(process.argv[2]).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  });
}
