/** Shared by the @nori/archive benchmarks: a figure beside a baseline measured in the same run. */

/** One result, in the format of docs/ARCHITECTURE.md "Benchmarks". */
export interface Result {
  name: string;
  unit: string;
  value: number;
  runs: number[];
  baseline: { name: string; value: number; runs: number[] };
  ratio: number;
  goal?: string;
}

/** Median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `ours` and the baseline `runs` times each, interleaved, and reports their medians and ratio. */
export async function compare(
  runs: number,
  measure: { name: string; unit: string; goal?: string; run: () => Promise<number> },
  baseline: { name: string; run: () => Promise<number> },
): Promise<Result> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Alternate the order so neither side always runs on a warmer machine.
    if (r % 2 === 0) {
      a.push(await measure.run());
      b.push(await baseline.run());
    } else {
      b.push(await baseline.run());
      a.push(await measure.run());
    }
  }
  const value = median(a);
  const base = median(b);
  const { name, unit, goal } = measure;
  const result: Result = { name, unit, value, runs: a, baseline: { name: baseline.name, value: base, runs: b }, ratio: value / base, ...(goal === undefined ? {} : { goal }) };
  console.log(`${name}: ${value.toFixed(0)} ${unit} vs ${baseline.name}: ${base.toFixed(0)} (ratio ${result.ratio.toFixed(3)})`);
  return result;
}
