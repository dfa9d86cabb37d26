/** Latency summaries for the benchmark tables. */

/** Percentiles of a set of durations, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  totalMs: number;
}

/** Nearest-rank percentile (`p` in 0..100) of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? NaN;
}

/** Summarises `samplesMs` (at least one sample). */
export function summarise(samplesMs: number[]): LatencySummary {
  if (samplesMs.length === 0) throw new Error('Cannot summarise latencies: no samples');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const totalMs = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1]!,
    meanMs: totalMs / sorted.length,
    totalMs,
  };
}

/** Runs `fn` and returns how long it took, in milliseconds. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
