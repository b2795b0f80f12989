import type { Storage, StorageFile } from '@nori/storage';
import { RecordScanner } from '@nori/codec';
import type { SegmentScanner } from './segment-scanner.js';
import type { SegmentSampler } from './sequence-index.js';
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

const ZERO_BLOCK = 4096;

/** Index of the first non-zero byte of `bytes[from, end)`, or `end`. Compares 4 KiB blocks natively. */
export function nextNonZero(bytes: Uint8Array, from: number, end: number): number {
  let at = from;
  while (at < end && at % 8 !== 0 && bytes[at] === 0) at++;
  while (at + ZERO_BLOCK <= end && Buffer.compare(bytes.subarray(at, at + ZERO_BLOCK), ZERO_CHUNK.subarray(0, ZERO_BLOCK)) === 0) {
    at += ZERO_BLOCK;
  }
  while (at < end && bytes[at] === 0) at++;
  return at;
}

/**
 * End of the non-zero data in `[from, to)`: the offset just after the last non-zero byte, or
 * `from` if the range is all zeros (what follows is preallocated space).
 */
export async function dataEnd(file: StorageFile, from: number, to: number): Promise<number> {
  const buffer = new Uint8Array(Math.min(DEFAULT_CHUNK_SIZE, Math.max(0, to - from)));
  let end = to;
  while (end > from) {
    const start = Math.max(from, end - buffer.length);
    const n = await readFully(file, buffer, end - start, start);
    let i = n;
    while (i >= ZERO_BLOCK && Buffer.compare(buffer.subarray(i - ZERO_BLOCK, i), ZERO_CHUNK.subarray(0, ZERO_BLOCK)) === 0) {
      i -= ZERO_BLOCK;
    }
    for (i = i - 1; i >= 0; i--) if (buffer[i] !== 0) return start + i + 1;
    end = start;
  }
  return from;
}

/** Writes zeros over `[from, to)` and makes them durable (keeps the file's length). */
export async function zeroRange(file: StorageFile, from: number, to: number): Promise<void> {
  const zeros = ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, Math.max(0, to - from)));
  for (let at = from; at < to; at += zeros.length) {
    await file.writev([zeros.subarray(0, Math.min(zeros.length, to - at))], at);
  }
  await file.datasync();
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
  /** Bytes the damaged record's header claims (a lower bound when the header itself is cut). */
  claimed: number;
}

/**
 * Scans `[start, limit)` of a segment until its end or the first damage; `sampler` (recovery's
 * walk) notes each valid record for the sparse index.
 */
export async function scanRegion(scanner: SegmentScanner, file: StorageFile, start: number, limit: number, sampler?: SegmentSampler): Promise<RegionScan> {
  scanner.open(file, start, limit);
  let records = 0;
  // Only a compare with a local per record: one record is sampled per SPARSE_INDEX_STRIDE bytes.
  let sampleAt = sampler === undefined ? Infinity : sampler.nextSampleAt;
  try {
    for (;;) {
      const status = scanner.step();
      if (status === 'ok') {
        if (scanner.recordOffset >= sampleAt) sampleAt = (sampler as SegmentSampler).take(records, scanner.recordOffset);
        records++;
      } else if (status === 'need-data') {
        await scanner.fill();
      } else if (status === 'end') {
        return { end: scanner.offset, records, status: 'end', reason: undefined, claimed: 0 };
      } else {
        return { end: scanner.badOffset, records, status, reason: scanner.badReason, claimed: scanner.records.needed };
      }
    }
  } finally {
    sampler?.advance(records);
    // A double-buffered scanner may still be reading ahead, and the caller may close the file next.
    await scanner.idle();
    scanner.release();
  }
}

/** Resync recognises records up to this size right after damage (larger ones are skipped over). */
export const RESYNC_LOOKAHEAD = 2 * 1024 * 1024;

/**
 * Finds the next offset in `(from, limit)` where a whole record with a valid CRC starts, or -1.
 * Windows overlap by {@link RESYNC_LOOKAHEAD} so every candidate sees that many following
 * bytes; runs of zeros are skipped quickly (seven zero bytes never form a valid record).
 */
export async function resync(file: StorageFile, from: number, limit: number, maxRecordSize: number): Promise<number> {
  const window = Math.min(2 * RESYNC_LOOKAHEAD, Math.max(0, limit - from - 1));
  if (window <= 0) return -1;
  const buffer = new Uint8Array(window);
  // A CRC match is the test; decompressing garbage candidates would only cost time.
  const scanner = new RecordScanner({ maxRecordSize, verifyCompressed: false });
  let base = from + 1;
  while (base < limit) {
    const n = await readFully(file, buffer, Math.min(window, limit - base), base);
    if (n === 0) return -1;
    const end = base + n >= limit ? n : Math.max(1, n - RESYNC_LOOKAHEAD);
    let candidate = 0;
    while (candidate < end) {
      if (buffer[candidate] === 0) {
        const nonZero = nextNonZero(buffer, candidate, n);
        if (nonZero - candidate >= 7) {
          candidate = nonZero - 6;
          if (candidate >= end) break;
        }
      }
      scanner.reset(buffer, candidate, n);
      if (scanner.next() === 'ok') return base + candidate;
      candidate++;
    }
    base += end;
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

/** Reads a whole (small) side file into memory; a short read returns what is there. */
export async function readWholeFile(file: StorageFile): Promise<Uint8Array> {
  return readPrefix(file, await file.size());
}

/** Reads the first `size` bytes of a (small) file; a short read returns what is there. */
export async function readPrefix(file: StorageFile, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  let read = 0;
  while (read < size) {
    const n = await file.read(bytes, read, size - read, read);
    if (n <= 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}
