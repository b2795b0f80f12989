import { closeSync, openSync, readSync } from 'node:fs';
import type { BenchContext } from './context.js';
import { KiB, MiB, makeRecord, makeRecords } from './records.js';
import { fillLog, openWal, segmentFiles, type SegmentFile } from './wal.js';

/** Reads the data part of `files` into memory as chunks of at most 1 MiB (for the CRC baseline). */
export function loadChunks(files: readonly { path: string; dataBytes: number }[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (const file of files) {
    const fd = openSync(file.path, 'r');
    try {
      for (let position = 0; position < file.dataBytes;) {
        const chunk = Buffer.allocUnsafe(Math.min(MiB, file.dataBytes - position));
        const n = readSync(fd, chunk, 0, chunk.length, position);
        if (n === 0) break;
        chunks.push(chunk.subarray(0, n));
        position += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return chunks;
}

/** A log written for a recovery workload. */
export interface WrittenLog {
  readonly records: number;
  readonly files: SegmentFile[];
  /** Encoded size of the largest record in the log. */
  readonly largest: number;
}

/**
 * Writes a log of `bytes` of 1 KiB records into `dir` and closes it cleanly. With `bigRecords`,
 * that many records of `bigValueBytes` are spread evenly through the log.
 */
export async function writeLog(dir: string, bytes: number, maxSegmentSize: number, bigRecords = 0, bigValueBytes = 0): Promise<WrittenLog> {
  const records = makeRecords(1000, KiB);
  const inputs = records.map((r) => r.input);
  const big = bigRecords > 0 ? makeRecord(bigValueBytes) : undefined;
  const { wal } = await openWal(dir, { fsync: 'os', maxSegmentSize });
  try {
    const parts = bigRecords + 1;
    let written = 0;
    for (let part = 0; part < parts; part++) {
      written += await fillLog(wal, inputs, bytes / parts, records[0]!.encoded.length);
      if (big && part < bigRecords) {
        await wal.append(big.input);
        written++;
      }
    }
    await wal.sync();
    const largest = Math.max(big?.encoded.length ?? 0, ...records.map((r) => r.encoded.length));
    return { records: written, files: await segmentFiles(wal, dir), largest };
  } finally {
    await wal.close();
  }
}

/** Wall time of `Wal.open` and the scan time its recovery report gives, in ms. */
export interface RecoveryTiming {
  readonly openMs: number;
  readonly scanMs: number;
}

/** Times `Wal.open` (recovery) of the log in `dir`, then closes it (not timed). */
export async function timeRecovery(ctx: BenchContext, dir: string, maxSegmentSize: number, expected: number): Promise<RecoveryTiming> {
  const start = performance.now();
  const { wal, recovery } = await openWal(dir, { maxSegmentSize });
  const openMs = performance.now() - start;
  await wal.close();
  if (recovery.records !== expected) ctx.log(`recovery: report says ${recovery.records} records, log has ${expected}`);
  return { openMs, scanMs: recovery.durationMs };
}
