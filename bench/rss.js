'use strict';
// Preloaded (node -r bench/rss.js) when /usr/bin/time is missing: at exit, writes this process's
// peak RSS and CPU time to $BENCH_RSS_FILE as JSON {maxRssKb, userS, systemS}.
const fs = require('node:fs');

const out = process.env.BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6 }));
  });
}
