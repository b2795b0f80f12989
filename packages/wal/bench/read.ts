import { statfsSync } from 'node:fs';
import type { ReadOptions, Wal } from '@nori/wal';
import type { BenchContext } from './lib/context.js';
import { withTempDir } from './lib/paths.js';
import { rawRead } from './lib/raw.js';
import { KiB, MiB, makeRecords, sizeLabel } from './lib/records.js';
import { atLeast, describe, measurePair, toResult, type BenchResult } from './lib/result.js';
import { mibPerSecond } from './lib/stats.js';
import { fillLog, openWal, segmentFiles, type SegmentFile } from './lib/wal.js';

/** Issue 17: sequential reads of 1 KiB records at 2 GB/s (1,907 MiB/s). */
const READ_GOAL_MIB_S = 1907;

/** Minimum timed span of one run; small logs are read several times per run to reach it. */
const MIN_RUN_MS = 100;

/**
 * Reads the whole log with `wal.read()`, repeating full passes until {@link MIN_RUN_MS} passed;
 * returns MiB/s of log bytes (sum of entry sizes). Every pass must see every record.
 */
async function walRun(wal: Wal, expectedRecords: number, options: ReadOptions): Promise<number> {
  let bytes = 0;
  const start = performance.now();
  do {
    let records = 0;
    for await (const entry of wal.read(options)) {
      bytes += entry.size;
      records++;
    }
    if (records !== expectedRecords) throw new Error(`read ${records} records, expected ${expectedRecords}`);
  } while (performance.now() - start < MIN_RUN_MS);
  return mibPerSecond(bytes, performance.now() - start);
}

/** The raw baseline with the same repetition rule as {@link walRun}. */
function rawRun(files: readonly SegmentFile[]): number {
  let bytes = 0;
  let ms = 0;
  do {
    const run = rawRead(
      files.map((f) => f.path),
      files.map((f) => f.dataBytes),
    );
    bytes += run.bytes;
    ms += run.ms;
  } while (ms < MIN_RUN_MS);
  return mibPerSecond(bytes, ms);
}

/** Shrinks the big log when the disk lacks room for it plus 1 GiB of slack (says so in the log). */
function fitToDisk(ctx: BenchContext, wanted: number): number {
  const fs = statfsSync(ctx.tempParent);
  const available = fs.bavail * fs.bsize;
  const fits = Math.floor(Math.max(0, available - 1024 * MiB) / MiB) * MiB;
  if (fits >= wanted) return wanted;
  ctx.log(`read: only ${sizeLabel(fits)} free for the big log; using that instead of ${sizeLabel(wanted)}`);
  return Math.max(fits, 16 * MiB);
}

/**
 * Writes a log of `logBytes` of 1 KiB records, then measures full reads with the default
 * options (entries are views into the chunks read) and, with `withVariants`, also with
 * `reuseBuffers: true` (two recycled buffers) and `copy: true` (compact copies of every entry).
 */
async function readWorkload(ctx: BenchContext, name: string, logBytes: number, withVariants: boolean): Promise<BenchResult[]> {
  const records = makeRecords(1000, KiB);
  const inputs = records.map((r) => r.input);
  const recordBytes = records[0]!.encoded.length;
  return withTempDir(ctx.tempParent, async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    try {
      const written = await fillLog(wal, inputs, logBytes, recordBytes);
      const files = await segmentFiles(wal, dir);
      const variants: { label: string; options: ReadOptions; goal: boolean }[] = [{ label: name, options: {}, goal: true }];
      if (withVariants) {
        variants.push({ label: `${name}, reuseBuffers: true`, options: { reuseBuffers: true }, goal: false });
        variants.push({ label: `${name}, copy: true`, options: { copy: true }, goal: false });
      }
      const results: BenchResult[] = [];
      for (const variant of variants) {
        const pair = await measurePair(
          ctx.settings.runs,
          () => walRun(wal, written, variant.options),
          () => rawRun(files),
        );
        const result = toResult({
          name: variant.label,
          unit: 'MiB/s',
          runs: pair.ours,
          baselineName: 'fs.readSync 1 MiB chunks, same segment files',
          baselineRuns: pair.baseline,
          ...(variant.goal ? { goal: atLeast(READ_GOAL_MIB_S, 'MiB/s') } : {}),
        });
        ctx.log(describe(result));
        results.push(result);
      }
      return results;
    } finally {
      await wal.close();
    }
  });
}

/**
 * Sequential full reads with `wal.read()`: a 10,000 x 1 KiB log and a large log (1 GiB by
 * default, `NORI_BENCH_READ_MIB` to change), beside raw 1 MiB `fs.readSync` reads of the same
 * segment files. Files are fresh, so both sides read from the page cache. The big log is also
 * read with `reuseBuffers: true` and with `copy: true`, as diagnostic rows.
 */
export async function readBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  const small = ctx.settings.smallReadRecords;
  const recordBytes = makeRecords(1, KiB)[0]!.encoded.length;
  const bigBytes = fitToDisk(ctx, ctx.settings.bigReadBytes);
  return [
    ...(await readWorkload(ctx, `sequential read ${small.toLocaleString('en-US')} x 1 KiB`, small * recordBytes, false)),
    ...(await readWorkload(ctx, `sequential read ${sizeLabel(bigBytes)} log (1 KiB records)`, bigBytes, true)),
  ];
}
