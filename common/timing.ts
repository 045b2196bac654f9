// Phase timings of an ingest on stderr when PORTDELTA_TIMING is set: what `npm run bench` and a
// profile need to say where the time goes. Costs nothing otherwise.
export interface Timer {
  mark(phase: string): void;
}

const noop: Timer = { mark: () => undefined };

export function timer(label: string): Timer {
  if (!process.env.PORTDELTA_TIMING) return noop;
  let last = process.hrtime.bigint();
  // The peak between two marks, sampled: a phase's transient high-water mark is what a memory cap meets.
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  sampler.unref();
  return {
    mark(phase) {
      const now = process.hrtime.bigint();
      const high = Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576);
      peak = 0;
      process.stderr.write(`timing ${label} ${phase} ${(Number(now - last) / 1e6).toFixed(0)} ms rss ${Math.round(process.memoryUsage().rss / 1048576)} MB (peak ${high}) heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB ext ${Math.round(process.memoryUsage().external / 1048576)} MB\n`);
      last = now;
    },
  };
}
