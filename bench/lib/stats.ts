/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(samples: number[]): number {
  return samples.length === 0 ? NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Rounds for the report: integers above 100, else `digits` decimals. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function latencySummary(samplesMs: number[]) {
  return {
    count: samplesMs.length,
    p50Ms: round(percentile(samplesMs, 50)),
    p90Ms: round(percentile(samplesMs, 90)),
    p99Ms: round(percentile(samplesMs, 99)),
    maxMs: round(Math.max(...samplesMs)),
    minMs: round(Math.min(...samplesMs)),
    meanMs: round(mean(samplesMs)),
  };
}
