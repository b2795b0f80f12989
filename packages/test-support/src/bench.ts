/**
 * The pieces every package's benchmarks share (`@nori/test-support/bench`): the result row of
 * `.bench-results/*.json` (format: docs/ARCHITECTURE.md, "Benchmarks") and its statistics.
 * @packageDocumentation
 */

/** One benchmark figure beside its baseline, both medians of runs measured in the same run. */
export interface BenchResult {
  name: string;
  unit: string;
  /** Median of `runs`. */
  value: number;
  runs: number[];
  baseline: { name: string; value: number; runs: number[] };
  /** `value / baseline.value`. */
  ratio: number;
  goal?: string;
  note?: string;
}

/** The median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The `p`-th percentile of a non-empty list (nearest rank; 50 is the {@link median}). */
export function percentile(values: readonly number[], p: number): number {
  if (p === 50) return median(values);
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
