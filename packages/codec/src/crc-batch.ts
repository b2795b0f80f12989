import { crc32cRange, hasNativeCrc32c } from './crc32c.js';
import { crc32cMultiply, crc32cPowerOfTwo, crc32cShiftByte } from './crc32c-js.js';
import { isZeroFilledRecord } from './frames.js';
import { PARSE_OK, ParseState, parseRecord } from './parse.js';
import { MIN_RECORD_SIZE } from './types.js';

/**
 * CRC32C of any intact record (its bytes followed by their CRC, little-endian): the CRC residue.
 * A message followed by its own reflected CRC always has this CRC, whatever the message.
 */
export const RECORD_RESIDUE = 0x48674bc7;

/**
 * Bytes of records one batch check covers at most. Up to 2^31 bits CRC32C detects every error of
 * 3 bits or fewer and every burst up to 32 bits, so a batch of this size (2^23 bits) keeps the
 * detection guarantees of one CRC over a 1 KiB record. One native call over 1 MiB runs at 5.7 GB/s
 * here against 5.25 GB/s in 32 KiB calls (call overhead, and the hardware CRC's pipeline refill).
 */
export const CRC_BATCH_SPAN = 1024 * 1024;

/** log2 of the distances the shift table covers: 32 KiB, 128 KiB of table. */
const SHIFT_BITS = 15;
/** Distances below this come straight from the table; longer ones are split at its multiples. */
const SHIFT_SPAN = 1 << SHIFT_BITS;

/**
 * Most records in one batch: the record-end scratch stays 18 KiB (a span of 7-byte records stops
 * here, a span of 1 KiB records at the span).
 */
const MAX_BATCH_RECORDS = Math.floor(SHIFT_SPAN / MIN_RECORD_SIZE);

/** A batch must hold at least this many records to be worth the extra header pass. */
const MIN_BATCH_RECORDS = 2;

/**
 * Nor fewer bytes: below this the per-record checks are cheap, and a small log (a CLI reading a
 * few records) never loads the native addon for a batch.
 */
const MIN_BATCH_BYTES = 4096;

/**
 * Record ends of the batch being checked. One array for every scanner: a check runs to completion
 * synchronously, so no two ever overlap, and a scanner per point read or per reader costs no
 * 18 KiB allocation. Made on the first check.
 */
let batchEnds: Int32Array | undefined;

/** Shared tables, built on the first batch that is checked (a small log never pays for them). */
interface BatchTables {
  /** `shifts[d]` = RECORD_RESIDUE · x^(8d) mod P: an intact record's share when `d` bytes follow it. */
  shifts: Int32Array;
  /** x^(8 · SHIFT_SPAN) mod P: moves a share one table span further. */
  spanPower: number;
  /** Shares summed per table span of distance (span 0 nearest the batch's end). */
  groups: Int32Array;
}

let tables: BatchTables | undefined;

/** Builds the tables once (~0.1 ms). */
function batchTables(): BatchTables {
  if (tables !== undefined) return tables;
  const shifts = new Int32Array(SHIFT_SPAN);
  let value = RECORD_RESIDUE;
  for (let d = 0; d < SHIFT_SPAN; d++) {
    shifts[d] = value;
    value = crc32cShiftByte(value);
  }
  return (tables = {
    shifts,
    // 8 · 2^SHIFT_BITS bits = 2^(SHIFT_BITS + 3).
    spanPower: crc32cPowerOfTwo(SHIFT_BITS + 3),
    groups: new Int32Array(CRC_BATCH_SPAN / SHIFT_SPAN),
  });
}

/**
 * The CRC32C of `count` intact records ending at `ends[0..count)`, the last at `runEnd`: each
 * record's share is the residue shifted by the bytes after it. Shares are summed per 32 KiB of
 * distance from the table, and the sums moved into place Horner-style (one multiply per 32 KiB).
 */
function intactRunCrc(ends: Int32Array, count: number, runEnd: number): number {
  const t = batchTables();
  const { shifts, groups } = t;
  // Ends increase, so the first record is the farthest from the run's end.
  const top = (runEnd - ends[0]!) >>> SHIFT_BITS;
  groups.fill(0, 0, top + 1);
  for (let i = 0; i < count; i++) {
    const distance = runEnd - ends[i]!;
    groups[distance >>> SHIFT_BITS]! ^= shifts[distance & (SHIFT_SPAN - 1)]!;
  }
  let crc = groups[top]!;
  for (let group = top - 1; group >= 0; group--) crc = crc32cMultiply(t.spanPower, crc) ^ groups[group]!;
  return crc >>> 0;
}

/**
 * Checks the CRCs of many consecutive records with one CRC32C call over all their bytes. The CRC
 * of a run of intact records is a fixed function of their lengths (each record's CRC is the
 * residue, shifted by the bytes after it), so one native call plus one table lookup per record
 * replaces one native call per record (~200 ns of call overhead each at 1 KiB).
 *
 * Damage inside one record always changes the run's CRC (the shift is invertible), so it is never
 * accepted; when the run's CRC differs, the scanner checks those records one by one, which finds
 * and reports the damaged record exactly as before. Damage in two or more records of one span
 * passes only if the changes cancel, with probability 2^-32 for random damage, as for one CRC.
 */
export class CrcBatch {
  /** Records ending at or before this offset have a verified CRC. */
  verifiedEnd = 0;
  /** No batch starts before this offset: per-record checks take over there. */
  private retryAt = 0;
  private readonly enabled: boolean;
  private readonly probe = new ParseState();

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /**
   * Forgets every verified range (new bytes, or a seek to `at`). The record at `at` is checked on
   * its own: a scan that stops after one record (a resynchronization probe trying offset after
   * offset) never pays for a batch, and a batch only starts after a record proved the position.
   */
  reset(at: number): void {
    this.verifiedEnd = 0;
    this.retryAt = at + 1;
  }

  /**
   * Verifies the records that lie whole in `[start, min(end, start + span))`, unless a batch was
   * just tried there. Afterwards records ending at or before `verifiedEnd` need no CRC call.
   */
  verifyFrom(buf: Uint8Array, start: number, end: number, maxRecordSize: number): void {
    if (!this.enabled || start < this.retryAt || start < this.verifiedEnd) return;
    const limit = Math.min(end, start + CRC_BATCH_SPAN);
    const probe = this.probe;
    probe.crcVerifiedEnd = limit;
    const ends = (batchEnds ??= new Int32Array(MAX_BATCH_RECORDS));
    let count = 0;
    let at = start;
    while (
      count < MAX_BATCH_RECORDS &&
      at < limit &&
      parseRecord(buf, at, limit, maxRecordSize, false, probe) === PARSE_OK &&
      !isZeroFilledRecord(buf, probe)
    ) {
      at += probe.recordSize;
      ends[count++] = at;
    }
    // Whatever happens, the next batch starts after the bytes looked at.
    this.retryAt = Math.max(at, start + 1);
    // Without the addon a batch is the same table CRC over the same bytes: no gain.
    if (count < MIN_BATCH_RECORDS || at - start < MIN_BATCH_BYTES || !hasNativeCrc32c()) return;
    if (crc32cRange(buf, start, at) === intactRunCrc(ends, count, at)) this.verifiedEnd = at;
  }
}
