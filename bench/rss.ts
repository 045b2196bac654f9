// Preloaded (node -r dist/bench/rss.js) when /usr/bin/time is missing: at exit, writes this process's
// peak RSS and CPU time to $BENCH_RSS_FILE as JSON {maxRssKb, userS, systemS}.
import fs from 'node:fs';

/** What measure.ts reads back. */
export interface RssFigures {
  maxRssKb: number;
  userS: number;
  systemS: number;
}

const out = process.env.BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    const figures: RssFigures = { maxRssKb: u.maxRSS, userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6 };
    fs.writeFileSync(out, JSON.stringify(figures));
  });
}
