import { crc32cRange } from './crc32c.js';
import { decompressValue, COMPRESSION_BY_BITS } from './compression.js';
import { NoriCodecError, RecordTooLargeError } from './errors.js';
import { MIN_RECORD_SIZE, type Compression, type CorruptReason } from './types.js';
import { COMPRESSION_MASK, FLAG_TOMBSTONE, FLAG_TTL, compressionBits, isCompressed } from './flags.js';

/** Outcome codes of {@link parseRecord}. */
export const PARSE_OK = 0;
export const PARSE_INCOMPLETE = 1;
export const PARSE_CORRUPT = 2;

/** nori-wal reports anything shorter than this as Incomplete before parsing. */
const RUST_MIN_INPUT = 6;

/**
 * Mutable parse state, reused across records so that scanning allocates nothing per record.
 * Offsets are absolute positions in the parsed buffer.
 */
export class ParseState {
  recordStart = 0;
  recordSize = 0;
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;
  flags = 0;
  /** ttl if it fits a safe integer (else -1 and `ttlBig` holds it); NaN = no ttl. */
  ttlNumber = Number.NaN;
  ttlBig: bigint | undefined = undefined;
  needed = 0;
  tooLarge = false;
  corruptReason: CorruptReason | undefined = undefined;
  /** Details for messages: stored and computed CRC, bad flags, decompression error. */
  storedCrc = 0;
  actualCrc = 0;
  error: unknown = undefined;
  /** Decompressed value of a compressed record, when verified during parsing. */
  decompressed: Uint8Array | undefined = undefined;
  /**
   * A record ending at or before this offset already had its CRC verified (by a batch check over
   * many records, see crc-batch.ts): parsing skips its CRC call. 0 = check every record.
   */
  crcVerifiedEnd = 0;

  get compression(): Compression {
    return COMPRESSION_BY_BITS[compressionBits(this.flags)]!;
  }

  get tombstone(): boolean {
    return (this.flags & FLAG_TOMBSTONE) !== 0;
  }

  get ttlMs(): bigint | undefined {
    if (Number.isNaN(this.ttlNumber)) return undefined;
    return this.ttlNumber >= 0 ? BigInt(this.ttlNumber) : this.ttlBig;
  }

  /** Human-readable description of the last corrupt outcome. */
  corruptMessage(): string {
    switch (this.corruptReason) {
      case 'crc-mismatch':
        return `CRC mismatch: stored 0x${hex32(this.storedCrc)}, computed 0x${hex32(this.actualCrc)}`;
      case 'varint-overflow':
        return 'varint overflow: more than 10 bytes';
      case 'invalid-compression':
        return `invalid compression type ${compressionBits(this.flags)} in flags 0x${this.flags.toString(16).padStart(2, '0')}`;
      case 'too-large':
        return this.error instanceof Error ? this.error.message : `record of ${this.needed} bytes exceeds maxRecordSize`;
      case 'decompression-failed':
        return this.error instanceof Error ? this.error.message : 'decompression failed';
      default:
        return 'not corrupt';
    }
  }
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

// Varint reader results, kept in module state to avoid allocating tuples.
let varValue = 0;
const VAR_INCOMPLETE = -1;
const VAR_OVERFLOW = -2;

/**
 * Reads a u64 varint at `p` into `varValue` as a double (exact below 2^53; larger values only need
 * to compare as "too large"). Returns the offset after it, VAR_INCOMPLETE or VAR_OVERFLOW, with
 * nori-wal's rules: a missing byte is incomplete, an 11th byte is overflow, bits beyond 64 of the
 * 10th byte are dropped.
 */
function readVarint(buf: Uint8Array, p: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let n = 0; ; n++) {
    if (p >= end) return VAR_INCOMPLETE;
    const byte = buf[p++]!;
    if (n === 10) return VAR_OVERFLOW;
    value += (n === 9 ? byte & 1 : byte & 0x7f) * scale;
    if (byte < 0x80) {
      varValue = value;
      return p;
    }
    scale *= 128;
  }
}

/** Reads the ttl varint exactly (bigint when it exceeds 2^53). */
function readTtl(buf: Uint8Array, p: number, end: number, st: ParseState): number {
  const start = p;
  const after = readVarint(buf, p, end);
  if (after < 0) return after;
  if (varValue <= Number.MAX_SAFE_INTEGER) {
    st.ttlNumber = varValue;
    st.ttlBig = undefined;
    return after;
  }
  let value = 0n;
  let shift = 0n;
  for (let i = start; i < after; i++) {
    value |= BigInt(buf[i]! & 0x7f) << shift;
    shift += 7n;
  }
  st.ttlNumber = -1;
  st.ttlBig = value & 0xffff_ffff_ffff_ffffn;
  return after;
}

function incomplete(st: ParseState, needed: number, tooLarge: boolean): number {
  st.needed = needed;
  st.tooLarge = tooLarge;
  return PARSE_INCOMPLETE;
}

function corrupt(st: ParseState, reason: CorruptReason, available: number): number {
  // nori-wal answers Incomplete for any input shorter than 6 bytes, before looking at it.
  if (available < RUST_MIN_INPUT) return incomplete(st, Math.max(MIN_RECORD_SIZE, available + 1), false);
  st.corruptReason = reason;
  return PARSE_CORRUPT;
}

/**
 * Parses and verifies the record at `start` (bytes up to `end`). On PARSE_OK the state describes
 * the record; with `verifyCompressed`, compressed values are decompressed (into
 * `st.decompressed`) so that a bad payload is reported as corrupt, like nori-wal's decode.
 */
export function parseRecord(buf: Uint8Array, start: number, end: number, maxRecordSize: number, verifyCompressed: boolean, st: ParseState): number {
  st.recordStart = start;
  st.corruptReason = undefined;
  st.error = undefined;
  st.decompressed = undefined;
  st.tooLarge = false;
  const available = end - start;
  let p = start;

  // klen, vlen: one-byte fast path
  let klen: number;
  let b = p < end ? buf[p]! : 0x80;
  if (b < 0x80 && p < end) {
    klen = b;
    p++;
  } else {
    p = readVarint(buf, p, end);
    if (p < 0) return p === VAR_INCOMPLETE ? incomplete(st, Math.max(MIN_RECORD_SIZE, available + 1), false) : corrupt(st, 'varint-overflow', available);
    klen = varValue;
  }
  let vlen: number;
  b = p < end ? buf[p]! : 0x80;
  if (b < 0x80 && p < end) {
    vlen = b;
    p++;
  } else {
    p = readVarint(buf, p, end);
    if (p < 0) {
      if (p === VAR_OVERFLOW) return corrupt(st, 'varint-overflow', available);
      return incomplete(st, Math.max(MIN_RECORD_SIZE, available + 1, klen + 7), klen + MIN_RECORD_SIZE > maxRecordSize);
    }
    vlen = varValue;
  }

  if (p >= end) return incomplete(st, Math.max(MIN_RECORD_SIZE, p - start + klen + vlen + 5), p - start + klen + vlen + 5 > maxRecordSize);
  const flags = buf[p++]!;
  st.flags = flags;
  if ((flags & COMPRESSION_MASK) === COMPRESSION_MASK) return corrupt(st, 'invalid-compression', available);

  if ((flags & FLAG_TTL) !== 0) {
    p = readTtl(buf, p, end, st);
    if (p < 0) {
      if (p === VAR_OVERFLOW) return corrupt(st, 'varint-overflow', available);
      const lower = available + 1 + klen + vlen + 4;
      return incomplete(st, lower, lower > maxRecordSize);
    }
  } else {
    st.ttlNumber = Number.NaN;
    st.ttlBig = undefined;
  }

  const keyStart = p;
  const keyEnd = keyStart + klen;
  const valueEnd = keyEnd + vlen;
  const size = valueEnd + 4 - start;
  st.recordSize = size;
  st.needed = size;
  if (size > maxRecordSize) {
    if (available >= size) return corrupt(st, 'too-large', available);
    return incomplete(st, size, true);
  }
  if (available < size) return incomplete(st, size, false);

  if (valueEnd + 4 > st.crcVerifiedEnd) {
    const stored = (buf[valueEnd]! | (buf[valueEnd + 1]! << 8) | (buf[valueEnd + 2]! << 16) | (buf[valueEnd + 3]! << 24)) >>> 0;
    const actual = crc32cRange(buf, start, valueEnd);
    if (stored !== actual) {
      st.storedCrc = stored;
      st.actualCrc = actual;
      return corrupt(st, 'crc-mismatch', available);
    }
  }
  st.keyStart = keyStart;
  st.keyEnd = keyEnd;
  st.valueStart = keyEnd;
  st.valueEnd = valueEnd;

  if (verifyCompressed && isCompressed(flags)) {
    try {
      st.decompressed = decompressValue(buf, keyEnd, valueEnd, st.compression, maxRecordSize);
    } catch (error) {
      st.error = error;
      return corrupt(st, error instanceof RecordTooLargeError ? 'too-large' : 'decompression-failed', available);
    }
  }
  return PARSE_OK;
}

/** Decompressed value of the parsed record (cached if verified during parsing). */
export function decompressedValue(buf: Uint8Array, st: ParseState, maxRecordSize: number): Uint8Array {
  if (st.decompressed !== undefined) return st.decompressed;
  try {
    st.decompressed = decompressValue(buf, st.valueStart, st.valueEnd, st.compression, maxRecordSize);
  } catch (error) {
    if (error instanceof NoriCodecError) throw error;
    throw new NoriCodecError('ERR_DECOMPRESSION_FAILED', `decompression failed: ${String(error)}`, { cause: error });
  }
  return st.decompressed;
}
