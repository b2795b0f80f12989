import { crc32cRange, hasNativeCrc32c } from './crc32c.js';
import { crc32cShiftByte } from './crc32c-js.js';
import { PARSE_OK, ParseState, parseRecord } from './parse.js';
import { MIN_RECORD_SIZE } from './types.js';

/**
 * CRC32C of any intact record (its bytes followed by their CRC, little-endian): the CRC residue.
 * A message followed by its own reflected CRC always has this CRC, whatever the message.
 */
export const RECORD_RESIDUE = 0x48674bc7;

/**
 * Bytes of records one batch check covers at most. Up to 2^31 bits CRC32C detects every error of
 * 3 bits or fewer and every burst up to 32 bits, so a batch of this size keeps the detection
 * guarantees of one CRC over a 1 KiB record; 32 KiB holds 31 records of 1 KiB (one native call
 * instead of 31) while the shift table stays at 128 KiB.
 */
export const CRC_BATCH_SPAN = 32 * 1024;

/** A batch must hold at least this many records to be worth the extra header pass. */
const MIN_BATCH_RECORDS = 2;

/**
 * Nor fewer bytes: below this the per-record checks are cheap, and a small log (a CLI reading a
 * few records) never loads the native addon for a batch.
 */
const MIN_BATCH_BYTES = 4096;

let residueShifts: Int32Array | undefined;

/**
 * Record ends of the batch being checked. One array for every scanner: a check runs to completion
 * synchronously, so no two ever overlap, and a scanner per point read or per reader costs no
 * 18 KiB allocation. Made on the first batch.
 */
let batchEnds: Int32Array | undefined;

function endsScratch(): Int32Array {
  return (batchEnds ??= new Int32Array(Math.floor(CRC_BATCH_SPAN / MIN_RECORD_SIZE) + 1));
}

/**
 * `table[d]` = RECORD_RESIDUE · x^(8d) mod P: what an intact record contributes to the CRC of a
 * run of records when `d` bytes follow it. Built on first use (~0.1 ms), never for small logs.
 */
function shiftTable(): Int32Array {
  if (residueShifts !== undefined) return residueShifts;
  const table = new Int32Array(CRC_BATCH_SPAN + 1);
  let value = RECORD_RESIDUE;
  for (let d = 0; d <= CRC_BATCH_SPAN; d++) {
    table[d] = value;
    value = crc32cShiftByte(value);
  }
  return (residueShifts = table);
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
    const ends = endsScratch();
    let count = 0;
    let at = start;
    while (at < limit && parseRecord(buf, at, limit, maxRecordSize, false, probe) === PARSE_OK && !zeroFilled(buf, probe)) {
      at += probe.recordSize;
      ends[count++] = at;
    }
    // Whatever happens, the next batch starts after the bytes looked at.
    this.retryAt = Math.max(at, start + 1);
    // Without the addon a batch is the same table CRC over the same bytes: no gain.
    if (count < MIN_BATCH_RECORDS || at - start < MIN_BATCH_BYTES || !hasNativeCrc32c()) return;
    const table = shiftTable();
    let expected = 0;
    for (let i = 0; i < count; i++) expected ^= table[at - ends[i]!]!;
    if (crc32cRange(buf, start, at) === expected >>> 0) this.verifiedEnd = at;
  }
}

/**
 * Seven zero bytes (a preallocated, never written tail) parse as an empty record with CRC 0, which
 * no intact record has: a batch stops there instead of running through the whole span of zeros.
 */
function zeroFilled(buf: Uint8Array, probe: ParseState): boolean {
  if (probe.recordSize !== MIN_RECORD_SIZE) return false;
  const at = probe.recordStart;
  return (buf[at]! | buf[at + 1]! | buf[at + 2]! | buf[at + 3]! | buf[at + 4]! | buf[at + 5]! | buf[at + 6]!) === 0;
}
