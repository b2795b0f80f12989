/** Shared pieces of the @nori/archive benchmarks (result format: docs/ARCHITECTURE.md "Benchmarks"). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3ObjectStore, type S3ObjectStoreConfig } from '../src/index.js';

import { median, type BenchResult as Result } from '@nori/test-support/bench';

export { median, percentile, type BenchResult as Result } from '@nori/test-support/bench';

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
  // The ratio is the median of the per-pair ratios, not a ratio of medians: the two runs of a pair
  // are adjacent in time, so a load swing on the shared machine hits both sides of one pair.
  const ratio = median(a.map((v, i) => v / (b[i] as number)));
  const result: Result = {
    name,
    unit,
    value,
    runs: a,
    baseline: { name: baseline.name, value: base, runs: b },
    ratio,
    ...(goal === undefined ? {} : { goal }),
  };
  console.log(`${name}: ${value.toFixed(0)} ${unit} vs ${baseline.name}: ${base.toFixed(0)} (ratio ${result.ratio.toFixed(3)})`);
  return result;
}

/** Writes `results` to `<repo>/.bench-results/<file>`. */
export function writeResults(file: string, results: readonly Result[]): void {
  const out = fileURLToPath(new URL(`../../../.bench-results/${file}`, import.meta.url));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ package: '@nori/archive', results }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

/** True when the integration-test S3 variables (README) name an endpoint and a bucket. */
export function hasBenchS3(): boolean {
  return process.env['NORI_S3_ENDPOINT'] !== undefined && process.env['NORI_S3_BUCKET'] !== undefined;
}

/** The S3 config of the integration-test endpoint (README); call only when {@link hasBenchS3}. */
export function benchS3Config(prefix: string): S3ObjectStoreConfig {
  const { NORI_S3_ENDPOINT: endpoint, NORI_S3_BUCKET: bucket } = process.env;
  if (endpoint === undefined || bucket === undefined) throw new Error('NORI_S3_ENDPOINT / NORI_S3_BUCKET are not set');
  return { endpoint, bucket, prefix, forcePathStyle: process.env['NORI_S3_FORCE_PATH_STYLE'] !== '0' };
}

/** An S3 store on the integration-test endpoint (README), or undefined when it is not set. */
export function benchS3Store(prefix: string): S3ObjectStore | undefined {
  return hasBenchS3() ? new S3ObjectStore(benchS3Config(prefix)) : undefined;
}
