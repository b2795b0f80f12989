import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFileStorage } from '@nori/storage';
import { SPARSE_INDEX_STRIDE, Wal, type Position } from '@nori/wal';
import type { BenchContext } from './lib/context.js';
import { countSegmentReads } from './lib/counting-storage.js';
import { withTempDir } from './lib/paths.js';
import { KiB, makeRecords, sizeLabel } from './lib/records.js';
import { describe, measurePair, toResult, type BenchResult } from './lib/result.js';
import { perSecond } from './lib/stats.js';
import { fillLog, openWal } from './lib/wal.js';

/** Lookups per measured run. */
const LOOKUPS = 2_000;
/** Bytes of one dense-index entry (an index and an offset), the memory baseline. */
const DENSE_ENTRY_BYTES = 16;

/** Deterministic pseudo-random indexes in `[first, last]` (xorshift32). */
function lookupIndexes(first: number, last: number, count: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(first + ((x >>> 0) % (last - first + 1)));
  }
  return out;
}

/** `wal.get(index)` for every index; returns lookups/s. */
async function getRun(wal: Wal, indexes: readonly number[]): Promise<number> {
  const start = performance.now();
  for (const index of indexes) {
    const entry = await wal.get(index);
    if (entry.index !== index) throw new Error(`get(${index}) returned ${entry.index}`);
  }
  return perSecond(indexes.length, performance.now() - start);
}

/** The ideal: one `pread` of exactly the record, its position known (a dense index); lookups/s. */
function rawRun(dir: string, targets: readonly { position: Position; size: number }[]): number {
  const fds = new Map<number, number>();
  const buffer = Buffer.alloc(64 * KiB);
  const start = performance.now();
  try {
    for (const { position, size } of targets) {
      let fd = fds.get(position.segmentId);
      if (fd === undefined) {
        fd = openSync(join(dir, `${String(position.segmentId).padStart(6, '0')}.wal`), 'r');
        fds.set(position.segmentId, fd);
      }
      if (readSync(fd, buffer, 0, size, position.offset) !== size) throw new Error('short read');
    }
    return perSecond(targets.length, performance.now() - start);
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

/**
 * Point reads by sequence number on a log of 1 KiB records (default 128 MiB; `NORI_BENCH_GET_MIB`
 * to change, e.g. 1024 for the 1 GiB figure), reopened so every segment is a recovered
 * one: lookups/s against a pread of the known record (dense-index ideal), bytes read per lookup
 * against the record size, and the sparse index's memory against a dense index.
 */
export async function getBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  const logBytes = ctx.settings.getLogBytes;
  const records = makeRecords(1000, KiB);
  const recordBytes = records[0]!.encoded.length;
  return withTempDir(ctx.tempParent, async (dir) => {
    {
      const { wal } = await openWal(dir, { fsync: 'os' });
      await fillLog(
        wal,
        records.map((r) => r.input),
        logBytes,
        recordBytes,
      );
      await wal.close();
    }
    const counting = countSegmentReads(new NodeFileStorage(dir));
    const { wal } = await Wal.open({ storage: counting.storage, fsync: 'os' });
    try {
      // The first lookup in each recovered segment (recovery built the sparse index: no scan).
      const sampling = performance.now();
      for (const segment of await wal.segments()) {
        for await (const entry of wal.read({ from: { segmentId: segment.id, offset: 0 }, limit: 1 })) await wal.get(entry.index);
      }
      ctx.log(
        `get: first lookup in each of ${(await wal.segments()).length} segments of a ${sizeLabel(logBytes)} log: ${(performance.now() - sampling).toFixed(0)} ms`,
      );
      const indexes = lookupIndexes(wal.firstIndex, wal.lastIndex, LOOKUPS, 18);
      const targets = await Promise.all(indexes.slice(0, LOOKUPS).map(async (i) => wal.get(i)));
      const before = counting.bytesRead();
      await getRun(wal, indexes);
      const bytesPerLookup = (counting.bytesRead() - before) / indexes.length;
      const label = `${sizeLabel(logBytes)} log, 1 KiB records`;
      const pair = await measurePair(
        ctx.settings.runs,
        () => getRun(wal, indexes),
        () => rawRun(dir, targets),
      );
      const rate = toResult({
        name: `get(index), random, ${label}`,
        unit: 'lookups/s',
        runs: pair.ours,
        baselineName: 'fs.readSync of the record at its known position (dense-index ideal)',
        baselineRuns: pair.baseline,
      });
      const bytes = toResult({
        name: `get(index): bytes read per lookup, ${label}`,
        unit: 'bytes',
        runs: [bytesPerLookup],
        baselineName: 'the record itself',
        baselineRuns: [recordBytes],
        lowerIsBetter: true,
      });
      const memory = toResult({
        name: `get(index): sparse index memory (stride ${SPARSE_INDEX_STRIDE / KiB} KiB), ${label}`,
        unit: 'KiB',
        runs: [wal.stats().sparseIndexBytes / KiB],
        baselineName: 'a dense index (16 bytes per record)',
        baselineRuns: [((wal.lastIndex - wal.firstIndex + 1) * DENSE_ENTRY_BYTES) / KiB],
        lowerIsBetter: true,
      });
      for (const result of [rate, bytes, memory]) ctx.log(describe(result));
      return [rate, bytes, memory];
    } finally {
      await wal.close();
    }
  });
}
