import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Wal, type RecoveryReport, type WalConfig } from '@nori/wal';

/**
 * Opens a WAL in `dir` the way users do (`{ dir }`: the default `NodeFileStorage` with sparse
 * preallocation), so the figures are those of the default configuration.
 */
export async function openWal(dir: string, config: Omit<WalConfig, 'dir' | 'storage'> = {}): Promise<{ wal: Wal; recovery: RecoveryReport }> {
  return Wal.open({ ...config, dir });
}

/** A segment file on disk and how many of its bytes are log data (not preallocated zeros). */
export interface SegmentFile {
  readonly path: string;
  readonly dataBytes: number;
}

/**
 * The WAL's segment files in log order with their data length: the WAL's own `size`, capped by
 * the file length (a preallocated segment is longer than its data).
 */
export async function segmentFiles(wal: Wal, dir: string): Promise<SegmentFile[]> {
  const segments = await wal.segments();
  return segments
    .sort((a, b) => a.id - b.id)
    .map((s) => {
      const path = join(dir, s.name);
      return { path, dataBytes: Math.min(s.size, statSync(path).size) };
    });
}

/**
 * Fills a fresh log with `totalBytes` of `records` (cycled), in `appendBatch` calls of
 * `records.length`, then syncs. Returns the number of records written.
 */
export async function fillLog(wal: Wal, records: readonly Parameters<Wal['append']>[0][], totalBytes: number, recordBytes: number): Promise<number> {
  const perBatch = records.length;
  const target = Math.ceil(totalBytes / recordBytes);
  let written = 0;
  while (written < target) {
    const batch = target - written >= perBatch ? records : records.slice(0, target - written);
    await wal.appendBatch(batch);
    written += batch.length;
  }
  await wal.sync();
  return written;
}
