import type { Storage, StorageFile } from '@nori/storage';
import { RecordScanner } from '@nori/codec';
import type { SegmentScanner } from './segment-scanner.js';
import { DEFAULT_CHUNK_SIZE } from './segment-scanner.js';

const ZERO_CHUNK = new Uint8Array(DEFAULT_CHUNK_SIZE);

function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    const n = Math.min(end - at, ZERO_CHUNK.length);
    if (Buffer.compare(bytes.subarray(at, at + n), ZERO_CHUNK.subarray(0, n)) !== 0) return false;
    at += n;
  }
  return true;
}

async function readFully(file: StorageFile, target: Uint8Array, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await file.read(target, done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/** True when every byte of `[from, to)` is zero (a preallocated or zero-filled tail). */
export async function isZeroRange(file: StorageFile, from: number, to: number): Promise<boolean> {
  const buffer = new Uint8Array(Math.min(DEFAULT_CHUNK_SIZE, Math.max(0, to - from)));
  let at = from;
  while (at < to) {
    const n = await readFully(file, buffer, Math.min(buffer.length, to - at), at);
    if (n === 0) return true;
    if (!isZero(buffer, 0, n)) return false;
    at += n;
  }
  return true;
}

/** Outcome of scanning a segment region record by record. */
export interface RegionScan {
  /** End of the last valid record (where damage starts, or the region's end). */
  end: number;
  records: number;
  status: 'end' | 'torn' | 'corrupt';
  reason: string | undefined;
}

/** Scans `[start, limit)` of a segment until its end or the first damage. */
export async function scanRegion(scanner: SegmentScanner, file: StorageFile, start: number, limit: number): Promise<RegionScan> {
  scanner.open(file, start, limit);
  let records = 0;
  for (;;) {
    const status = scanner.step();
    if (status === 'ok') {
      records++;
    } else if (status === 'need-data') {
      await scanner.fill();
    } else if (status === 'end') {
      const end = scanner.offset;
      scanner.release();
      return { end, records, status: 'end', reason: undefined };
    } else {
      const end = scanner.badOffset;
      const reason = scanner.badReason;
      scanner.release();
      return { end, records, status, reason };
    }
  }
}

/**
 * Finds the next offset in `[from, limit)` where a whole record with a valid CRC starts, or -1.
 * Runs of zeros are skipped quickly (seven zero bytes never form a valid record).
 */
export async function resync(file: StorageFile, from: number, limit: number, maxRecordSize: number): Promise<number> {
  const window = Math.min(DEFAULT_CHUNK_SIZE, Math.max(0, limit - from));
  if (window <= 0) return -1;
  const buffer = new Uint8Array(window);
  const scanner = new RecordScanner({ maxRecordSize });
  let base = from + 1;
  while (base < limit) {
    const n = await readFully(file, buffer, Math.min(window, limit - base), base);
    if (n === 0) return -1;
    const windowReachesLimit = base + n >= limit;
    let advance = n;
    let candidate = 0;
    while (candidate < n) {
      if (buffer[candidate] === 0) {
        let nonZero = candidate;
        while (nonZero < n && buffer[nonZero] === 0) nonZero++;
        if (nonZero - candidate >= 7) {
          candidate = nonZero - 6;
          if (candidate >= n) break;
        }
      }
      scanner.reset(buffer, candidate, n);
      const status = scanner.next();
      if (status === 'ok') return base + candidate;
      if (status === 'incomplete' && !scanner.tooLarge && !windowReachesLimit && base + candidate + scanner.needed <= limit) {
        if (candidate > 0) {
          advance = candidate; // re-read with the candidate at the window's start
          break;
        }
        const big = new Uint8Array(scanner.needed);
        const got = await readFully(file, big, big.length, base);
        scanner.reset(big, 0, got);
        if (scanner.next() === 'ok') return base;
      }
      candidate++;
    }
    base += Math.max(1, advance);
  }
  return -1;
}

/** Copies `[from, to)` of `file` into a new file `name` of `storage` and fsyncs it. */
export async function copyRange(storage: Storage, file: StorageFile, from: number, to: number, name: string): Promise<void> {
  const target = await storage.open(name, { create: true });
  try {
    const buffer = new Uint8Array(Math.min(DEFAULT_CHUNK_SIZE, Math.max(1, to - from)));
    let at = from;
    while (at < to) {
      const n = await readFully(file, buffer, Math.min(buffer.length, to - at), at);
      if (n === 0) break;
      await target.writev([buffer.subarray(0, n)], at - from);
      at += n;
    }
    await target.datasync();
  } finally {
    await target.close();
  }
}

/** Truncates a file to `length` and makes the new length durable. */
export async function truncateDurably(file: StorageFile, length: number): Promise<void> {
  await file.truncate(length);
  await file.datasync();
}
