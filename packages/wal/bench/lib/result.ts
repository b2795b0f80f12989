import { median, round } from './stats.js';

/** A target a figure must meet on the reference machine, checked against this run's medians. */
export interface Goal {
  /** Human text, e.g. `>= 170000 records/s`; rendered in BENCHMARKS.md. */
  readonly text: string;
  /** Whether the medians meet the goal. */
  readonly met: (value: number, ratio: number) => boolean;
}

/** `value >= threshold` (a rate goal). */
export function atLeast(threshold: number, unit: string): Goal {
  return { text: `>= ${threshold} ${unit}`, met: (value) => value >= threshold };
}

/** `value < threshold` (a latency or memory goal). */
export function below(threshold: number, unit: string): Goal {
  return { text: `< ${threshold} ${unit}`, met: (value) => value < threshold };
}

/** `ratio >= threshold`: ours must be at least `threshold` times the baseline. */
export function ratioAtLeast(threshold: number): Goal {
  return { text: `ratio >= ${threshold}x`, met: (_value, ratio) => ratio >= threshold };
}

/** One row of `.bench-results/wal.json` (format: docs/ARCHITECTURE.md, "Benchmarks"). */
export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  /** Median of `runs`. */
  readonly value: number;
  readonly runs: number[];
  readonly baseline: { readonly name: string; readonly value: number; readonly runs: number[] };
  /** `value / baseline.value`; null when the baseline is 0. */
  readonly ratio: number | null;
  readonly goal?: string;
  /** Whether the goal is met by this run's medians (absent without a goal). */
  readonly pass?: boolean;
  /** True when smaller values are better (ms, MiB). */
  readonly lowerIsBetter?: boolean;
}

/** What a workload measured: per-run figures of ours and of the same-run baseline. */
export interface Measured {
  readonly name: string;
  readonly unit: string;
  readonly runs: readonly number[];
  readonly baselineName: string;
  readonly baselineRuns: readonly number[];
  readonly goal?: Goal;
  readonly lowerIsBetter?: boolean;
}

/** Turns per-run figures into a result row: medians, ratio and goal status. */
export function toResult(m: Measured): BenchResult {
  const value = median(m.runs);
  const baseline = median(m.baselineRuns);
  const ratio = value / baseline;
  return {
    name: m.name,
    unit: m.unit,
    value: round(value),
    runs: m.runs.map((r) => round(r)),
    baseline: { name: m.baselineName, value: round(baseline), runs: m.baselineRuns.map((r) => round(r)) },
    ratio: Number.isFinite(ratio) ? round(ratio, 3) : null,
    ...(m.goal ? { goal: m.goal.text, pass: m.goal.met(value, ratio) } : {}),
    ...(m.lowerIsBetter ? { lowerIsBetter: true } : {}),
  };
}

/** Per-run figures of a workload (`T`: a number, or a richer per-run record) and of its baseline. */
export interface PairRuns<T = number> {
  readonly ours: T[];
  readonly baseline: number[];
}

/** How many unrecorded warm-up rounds {@link measurePair} runs first. */
export interface PairOptions {
  /** 1 by default; 0 for workloads whose first run is part of what they measure. */
  readonly warmupRounds?: number;
}

/**
 * Measures `ours` and `baseline` alternately (baseline, ours, baseline, ours, ...) so that noise
 * from other processes on the shared machine hits both alike, after `warmupRounds` unrecorded
 * rounds so JIT compilation is not timed.
 */
export async function measurePair<T = number>(
  runs: number,
  ours: () => Promise<T>,
  baseline: () => Promise<number> | number,
  options: PairOptions = {},
): Promise<PairRuns<T>> {
  for (let i = 0; i < (options.warmupRounds ?? 1); i++) {
    await baseline();
    await ours();
  }
  const result: PairRuns<T> = { ours: [], baseline: [] };
  for (let i = 0; i < runs; i++) {
    result.baseline.push(await baseline());
    result.ours.push(await ours());
  }
  return result;
}

/** One progress line for a result. */
export function describe(r: BenchResult): string {
  const status = r.pass === undefined ? '' : r.pass ? '  PASS' : '  MISS';
  return `${r.name}: ${r.value} ${r.unit} | ${r.baseline.name}: ${r.baseline.value} | ratio ${r.ratio}${status}`;
}
