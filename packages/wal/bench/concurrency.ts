import { join } from 'node:path';
import { NodeFileStorage, type CallMode } from '@nori/storage';
import { Wal } from '@nori/wal';
import { runBudget, type BenchContext } from './lib/context.js';
import { withTempDir } from './lib/paths.js';
import { rawAppend, rawWritev } from './lib/raw.js';
import { KiB, makeRecord, type BenchRecord } from './lib/records.js';
import { describe, measurePair, ratioAtLeast, toResult, type BenchResult } from './lib/result.js';
import { perSecond } from './lib/stats.js';
import { openWal } from './lib/wal.js';

const WRITERS = [1, 2, 4, 8, 64] as const;

/**
 * `writers` concurrent loops of `await wal.append()` on one `always` WAL until the time budget is
 * spent; returns records/s over all writers (group commit lets one fdatasync cover many).
 */
async function walRun(ctx: BenchContext, writers: number, record: BenchRecord, syncCalls?: CallMode): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    // The default storage (what `{ dir }` makes), or the same with flushes on the calling thread.
    const { wal } =
      syncCalls === undefined
        ? await openWal(dir, { fsync: 'always' })
        : await Wal.open({ storage: new NodeFileStorage(dir, { preallocate: 'sparse', syncCalls }), fsync: 'always' });
    try {
      let records = 0;
      const budget = runBudget(ctx);
      const start = performance.now();
      const deadline = start + budget.ms;
      const writer = async (): Promise<void> => {
        while (performance.now() < deadline && records * record.encoded.length < budget.maxBytes) {
          await wal.append(record.input);
          records++;
        }
      };
      await Promise.all(Array.from({ length: writers }, writer));
      return perSecond(records, performance.now() - start);
    } finally {
      await wal.close();
    }
  });
}

function rawRun(ctx: BenchContext, record: BenchRecord): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    const run = rawAppend(join(dir, 'raw.log'), record.encoded, runBudget(ctx), { kind: 'each' });
    return perSecond(run.units, run.ms);
  });
}

/** Records/s of a raw loop writing `group` with one writev and one fdatasync per group. */
function rawGroupRun(ctx: BenchContext, group: readonly Uint8Array[]): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    const run = rawWritev(join(dir, 'raw.log'), group, runBudget(ctx), true);
    return perSecond(run.units * group.length, run.ms);
  });
}

/**
 * 1 / 2 / 4 / 8 / 64 concurrent writers under `fsync: 'always'` beside a raw write + fdatasync
 * loop (one record per fdatasync), 64 writers beside the disk's group-commit ceiling (64
 * records per fdatasync), and the 64-writer / 1-writer scaling (goal >= 20x).
 */
export async function concurrencyBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  const record = makeRecord(KiB);
  const results: BenchResult[] = [];
  const perWriters = new Map<number, number[]>();
  for (const writers of WRITERS) {
    const pair = await measurePair(
      ctx.settings.runs,
      () => walRun(ctx, writers, record),
      () => rawRun(ctx, record),
    );
    perWriters.set(writers, pair.ours);
    const result = toResult({
      name: `always, ${writers} concurrent writer${writers === 1 ? '' : 's'} (1 KiB)`,
      unit: 'records/s',
      runs: pair.ours,
      baselineName: 'fs.writeSync + fdatasync per record',
      baselineRuns: pair.baseline,
      // Issue 17: one writer with fsync 'always' stays within 5% of the raw write + fdatasync.
      ...(writers === 1 ? { goal: ratioAtLeast(0.95) } : {}),
    });
    ctx.log(describe(result));
    results.push(result);
  }
  // Diagnostic: flushes on the calling thread (syncCalls: 'inline') save the thread-pool round
  // trip of each fdatasync; one writer then pays what the raw loop pays.
  for (const writers of [1, 64] as const) {
    const inline = await measurePair(
      ctx.settings.runs,
      () => walRun(ctx, writers, record, 'inline'),
      () => rawRun(ctx, record),
    );
    const inlineResult = toResult({
      name: `always, ${writers} concurrent writer${writers === 1 ? '' : 's'} (1 KiB), syncCalls: 'inline'`,
      unit: 'records/s',
      runs: inline.ours,
      baselineName: 'fs.writeSync + fdatasync per record',
      baselineRuns: inline.baseline,
    });
    ctx.log(describe(inlineResult));
    results.push(inlineResult);
  }
  // Diagnostic: what the disk allows when 64 records share one fdatasync (the group-commit
  // ceiling), measured the same way: one writev of 64 encoded records + fdatasync.
  const group = Array.from({ length: 64 }, () => record.encoded);
  const ceiling = await measurePair(
    ctx.settings.runs,
    () => walRun(ctx, 64, record),
    () => rawGroupRun(ctx, group),
  );
  const ceilingResult = toResult({
    name: 'always, 64 concurrent writers vs raw 64-record group (1 KiB)',
    unit: 'records/s',
    runs: ceiling.ours,
    baselineName: 'fs.writevSync 64 records + fdatasync',
    baselineRuns: ceiling.baseline,
  });
  ctx.log(describe(ceilingResult));
  results.push(ceilingResult);
  const scaling = toResult({
    name: 'always, 64 writers vs 1 writer (group commit scaling)',
    unit: 'records/s',
    runs: perWriters.get(64) ?? [],
    baselineName: '1 writer, same run',
    baselineRuns: perWriters.get(1) ?? [],
    goal: ratioAtLeast(20),
  });
  ctx.log(describe(scaling));
  results.push(scaling);
  return results;
}
