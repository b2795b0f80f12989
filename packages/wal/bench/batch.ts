import { join } from 'node:path';
import { runBudget, runFor, type BenchContext } from './lib/context.js';
import { withTempDir } from './lib/paths.js';
import { rawWritev } from './lib/raw.js';
import { KiB, makeRecords, type BenchRecord } from './lib/records.js';
import { describe, measurePair, ratioAtLeast, toResult, type BenchResult, type Goal } from './lib/result.js';
import { mibPerSecond } from './lib/stats.js';
import { openWal } from './lib/wal.js';

const BATCH_SIZES = [10, 100, 1000] as const;

function goalFor(batchSize: number): Goal | undefined {
  // Issue 17: within 0.6x of the same bytes written with one writev and fdatasync.
  return batchSize === 1000 ? ratioAtLeast(0.6) : undefined;
}

/** `await wal.appendBatch(batch); await wal.sync()` in a loop (policy `os`); returns MiB/s. */
async function walRun(ctx: BenchContext, records: readonly BenchRecord[]): Promise<number> {
  const inputs = records.map((r) => r.input);
  const batchBytes = records.reduce((sum, r) => sum + r.encoded.length, 0);
  return withTempDir(ctx.tempParent, async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    try {
      const run = await runFor(runBudget(ctx), batchBytes, 1, async () => {
        await wal.appendBatch(inputs);
        await wal.sync();
      });
      return mibPerSecond(run.bytes, run.ms);
    } finally {
      await wal.close();
    }
  });
}

function rawRun(ctx: BenchContext, records: readonly BenchRecord[]): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    const run = rawWritev(
      join(dir, 'raw.log'),
      records.map((r) => r.encoded),
      runBudget(ctx),
      true,
    );
    return mibPerSecond(run.bytes, run.ms);
  });
}

/**
 * `appendBatch` of 10 / 100 / 1000 records of 1 KiB followed by `sync()`, beside one
 * `fs.writevSync` of the same encoded records plus `fdatasync` per batch.
 */
export async function batchBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const batchSize of BATCH_SIZES) {
    const records = makeRecords(batchSize, KiB);
    const pair = await measurePair(
      ctx.settings.runs,
      () => walRun(ctx, records),
      () => rawRun(ctx, records),
    );
    const goal = goalFor(batchSize);
    const result = toResult({
      name: `appendBatch ${batchSize} x 1 KiB + sync`,
      unit: 'MiB/s',
      runs: pair.ours,
      baselineName: `fs.writevSync ${batchSize} buffers + fdatasync`,
      baselineRuns: pair.baseline,
      ...(goal ? { goal } : {}),
    });
    ctx.log(describe(result));
    results.push(result);
  }
  return results;
}
