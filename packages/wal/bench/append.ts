import { join } from 'node:path';
import type { FsyncPolicy } from '@nori/wal';
import { runBudget, runFor, type BenchContext } from './lib/context.js';
import { rawAppend, rawAppendFloor, type RawSync } from './lib/raw.js';
import { makeRecord, sizeLabel, KiB, MiB, type BenchRecord } from './lib/records.js';
import { atLeast, describe, measurePair, toResult, type BenchResult, type Goal } from './lib/result.js';
import { perSecond } from './lib/stats.js';
import { openWal } from './lib/wal.js';
import { withTempDir } from './lib/paths.js';

interface PolicyCase {
  readonly label: string;
  readonly policy: FsyncPolicy;
  /** The raw baseline with the same durability: no sync, sync every 5 ms, sync every write. */
  readonly rawSync: RawSync;
  readonly rawName: string;
}

const POLICIES: readonly PolicyCase[] = [
  { label: 'os', policy: { kind: 'os' }, rawSync: { kind: 'none' }, rawName: 'fs.writeSync' },
  {
    label: 'batch(5 ms)',
    policy: { kind: 'batch', windowMs: 5 },
    rawSync: { kind: 'every', ms: 5 },
    rawName: 'fs.writeSync + fdatasync every 5 ms',
  },
  { label: 'always', policy: { kind: 'always' }, rawSync: { kind: 'each' }, rawName: 'fs.writeSync + fdatasync' },
];

const VALUE_SIZES = [100, KiB, 10 * KiB] as const;
/** Safety limit on one sustained run (it normally ends when all bytes are written). */
const SUSTAINED_LIMIT_MS = 30_000;

function goalFor(policy: PolicyCase, valueBytes: number): Goal | undefined {
  // Issue 17's goal; the raw fs.writeSync loop beside it does ~520k/s on the reference machine.
  return policy.label === 'os' && valueBytes === KiB ? atLeast(500_000, 'records/s') : undefined;
}

/** One sequential `await wal.append()` loop in a fresh log; returns records/s. */
async function walRun(ctx: BenchContext, policy: FsyncPolicy, record: BenchRecord): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    const { wal } = await openWal(dir, { fsync: policy });
    try {
      const checkEvery = policy.kind === 'always' ? 1 : 16;
      const run = await runFor(runBudget(ctx), record.encoded.length, checkEvery, () => wal.append(record.input));
      return perSecond(run.units, run.ms);
    } finally {
      await wal.close();
    }
  });
}

function rawRun(ctx: BenchContext, policy: PolicyCase, record: BenchRecord): Promise<number> {
  return withTempDir(ctx.tempParent, async (dir) => {
    const run = rawAppend(join(dir, 'raw.log'), record.encoded, runBudget(ctx), policy.rawSync);
    return perSecond(run.units, run.ms);
  });
}

/**
 * 1 KiB `os` appends beside their floor ({@link rawAppendFloor}: encode, `fs.writeSync` and a
 * resolved promise per awaited record): the ratio is what the WAL's own bookkeeping costs.
 */
async function floorBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const record = makeRecord(KiB);
  const pair = await measurePair(
    ctx.settings.runs,
    () => walRun(ctx, { kind: 'os' }, record),
    () =>
      withTempDir(ctx.tempParent, async (dir) => {
        const run = await rawAppendFloor(join(dir, 'floor.log'), record.input, runBudget(ctx));
        return perSecond(run.units, run.ms);
      }),
  );
  const result = toResult({
    name: 'append 1 KiB, os, vs its floor',
    unit: 'records/s',
    runs: pair.ours,
    baselineName: 'encodeRecordInto + fs.writeSync + resolved promise per awaited record',
    baselineRuns: pair.baseline,
  });
  ctx.log(describe(result));
  return result;
}

/** Bytes and segment size of the sustained-append row: four segment rotations. */
function sustainedShape(ctx: BenchContext): { totalBytes: number; segmentBytes: number } {
  const segmentBytes = ctx.settings.quick ? 8 * MiB : 64 * MiB;
  return { totalBytes: 4 * segmentBytes, segmentBytes };
}

/** Runs of the sustained row: the minimum, and no warm-up (the other rows warmed the JIT). */
const SUSTAINED_RUNS = 3;

/**
 * Sustained 1 KiB `os` appends across four segment rotations of 64 MiB segments (each rotation
 * fsyncs and trims the old segment and preallocates the next one), beside a raw `fs.writeSync`
 * loop writing the same bytes to one file. Not capped by the run time budget.
 */
async function sustainedBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const record = makeRecord(KiB);
  const { totalBytes, segmentBytes } = sustainedShape(ctx);
  const budget = { ms: SUSTAINED_LIMIT_MS, maxBytes: totalBytes };
  const pair = await measurePair(
    SUSTAINED_RUNS,
    () =>
      withTempDir(ctx.tempParent, async (dir) => {
        const { wal } = await openWal(dir, { fsync: 'os', maxSegmentSize: segmentBytes });
        try {
          const run = await runFor(budget, record.encoded.length, 16, () => wal.append(record.input));
          return perSecond(run.units, run.ms);
        } finally {
          await wal.close();
        }
      }),
    () =>
      withTempDir(ctx.tempParent, async (dir) => {
        const run = rawAppend(join(dir, 'raw.log'), record.encoded, budget, { kind: 'none' });
        return perSecond(run.units, run.ms);
      }),
    { warmupRounds: 0 },
  );
  const result = toResult({
    name: `append 1 KiB, os, sustained ${sizeLabel(totalBytes)} (4 rotations of ${sizeLabel(segmentBytes)} segments)`,
    unit: 'records/s',
    runs: pair.ours,
    baselineName: `fs.writeSync, ${record.encoded.length} B, one file`,
    baselineRuns: pair.baseline,
  });
  ctx.log(describe(result));
  return result;
}

/**
 * Sequential appends (one `await wal.append()` at a time) of 100 B / 1 KiB / 10 KiB values under
 * the `os`, `batch(5 ms)` and `always` fsync policies, each beside a raw `fs.writeSync` loop
 * writing the same encoded bytes with the same durability; 1 KiB `os` appends beside their
 * floor; plus sustained `os` appends across segment rotations.
 */
export async function appendBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const policy of POLICIES) {
    for (const valueBytes of VALUE_SIZES) {
      const record = makeRecord(valueBytes);
      const pair = await measurePair(
        ctx.settings.runs,
        () => walRun(ctx, policy.policy, record),
        () => rawRun(ctx, policy, record),
      );
      const goal = goalFor(policy, valueBytes);
      const result = toResult({
        name: `append ${sizeLabel(valueBytes)}, ${policy.label}`,
        unit: 'records/s',
        runs: pair.ours,
        baselineName: `${policy.rawName}, ${record.encoded.length} B`,
        baselineRuns: pair.baseline,
        ...(goal ? { goal } : {}),
      });
      ctx.log(describe(result));
      results.push(result);
    }
  }
  results.push(await floorBenchmark(ctx));
  results.push(await sustainedBenchmark(ctx));
  return results;
}
