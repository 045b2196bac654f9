#!/usr/bin/env node
'use strict';
// Parse-only: the nmap XML input agent alone over a file, as the ingest feeds it (1 MiB reads),
// counting what it yields. Prints one JSON line: {hosts, up, ports, open, complete, seconds}, where
// seconds is the parse itself, from opening the file to the last event (no process start-up).
const fs = require('node:fs');
const path = require('node:path');
const { nmapXml } = require(path.join(process.env.BENCH_DIST || path.join(__dirname, '..', 'dist'), 'input-agents', 'nmap-xml'));

async function main(file) {
  const t0 = process.hrtime.bigint();
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let hosts = 0, up = 0, ports = 0, open = 0, complete = false;
  for await (const ev of nmapXml.parse(input, { source: file })) {
    if (ev.kind === 'host') {
      hosts++;
      if (ev.status === 'up') up++;
      ports += ev.ports.length;
      for (const p of ev.ports) if (p.state === 'open') open++;
    } else if (ev.kind === 'end') complete = ev.complete;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ hosts, up, ports, open, complete, seconds }) + '\n');
}

main(process.argv[2]).catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
});
