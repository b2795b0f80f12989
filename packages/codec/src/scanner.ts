import { maxRecordSizeOf } from './options.js';
import { PARSE_CORRUPT, PARSE_OK, ParseState, decompressedValue, parseRecord } from './parse.js';
import type { CodecOptions, Compression, CorruptReason, WalRecord } from './types.js';
import { isCompressed } from './flags.js';
import { CrcBatch } from './crc-batch.js';
import { NoriCodecError } from './errors.js';

/** Result of {@link RecordScanner.next}. */
export type ScanStatus = 'ok' | 'end' | 'incomplete' | 'corrupt';

/** Options of {@link RecordScanner}. */
export interface ScannerOptions extends CodecOptions {
  /**
   * Decompress lz4/zstd values during `next()` so that a bad compressed payload is reported as
   * `corrupt` ('decompression-failed' / 'too-large'), as nori-wal's recovery does. The result is
   * cached for `value()`. Default true; false skips it (faster scans that never read values).
   */
  verifyCompressed?: boolean;
  /**
   * How record CRCs are checked. `'batched'` (default, where the native CRC addon is loaded): one
   * CRC32C call over up to 1 MiB of consecutive records, compared with the value their stored
   * CRCs imply; when it differs, those records are checked one by one, so the damaged record is
   * found and reported exactly as with `'per-record'`. Damage confined to one record is always
   * detected either way. `'per-record'`: one CRC call per record.
   */
  crcCheck?: 'batched' | 'per-record';
}

const EMPTY = new Uint8Array(0);

/**
 * Scanning over a buffer of consecutive records (recovery, readers) without per-record objects or
 * copies (one reused parse state; the CRC function gets a transient `subarray` view): `next()`
 * parses and CRC-checks the record at the cursor and exposes its layout as offsets; `key()`,
 * `value()` and `record()` materialize it on demand (views by default).
 *
 * ```ts
 * const scanner = new RecordScanner();
 * scanner.reset(segmentBytes);
 * while (scanner.next() === 'ok') handle(scanner.key(), scanner.value());
 * // scanner.cursor = end of the last valid record; status says why scanning stopped
 * ```
 */
export class RecordScanner {
  private readonly st = new ParseState();
  private readonly max: number;
  private readonly verify: boolean;
  private readonly batch: CrcBatch;
  private buf: Uint8Array = EMPTY;
  private end = 0;
  private pos = 0;
  private last: ScanStatus = 'end';

  constructor(options?: ScannerOptions) {
    this.max = maxRecordSizeOf(options);
    this.verify = options?.verifyCompressed ?? true;
    const crcCheck = options?.crcCheck ?? 'batched';
    if (crcCheck !== 'batched' && crcCheck !== 'per-record') {
      throw new NoriCodecError('ERR_INVALID_ARGUMENT', `crcCheck must be 'batched' or 'per-record', got ${String(crcCheck)}`);
    }
    this.batch = new CrcBatch(crcCheck === 'batched');
  }

  /** Scans `buf` from `start` (default 0) up to `end` (default `buf.length`). */
  reset(buf: Uint8Array, start = 0, end = buf.length): void {
    if (!(start >= 0 && start <= end && end <= buf.length)) {
      throw new RangeError(`invalid scan range [${start}, ${end}) of a ${buf.length}-byte buffer`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.last = 'end';
    this.st.recordStart = start;
    this.st.recordSize = 0;
    this.forgetVerified(start);
  }

  /** Moves the cursor (e.g. to resynchronize after corruption in salvage mode). */
  seek(offset: number): void {
    if (!(offset >= 0 && offset <= this.end)) throw new RangeError(`offset ${offset} outside [0, ${this.end}]`);
    this.pos = offset;
    this.last = 'end';
    this.forgetVerified(offset);
  }

  /**
   * Parses the record at the cursor. 'ok': a whole record with a valid CRC is at `recordStart`
   * and the cursor moved past it. 'end': the cursor is at `end`. 'incomplete' / 'corrupt': the
   * cursor stays at `recordStart` (see `needed`, `tooLarge`, `corruptReason`).
   */
  next(): ScanStatus {
    const start = this.pos;
    if (start >= this.end) {
      this.st.recordStart = start;
      return (this.last = 'end');
    }
    const batch = this.batch;
    if (start >= batch.verifiedEnd) {
      batch.verifyFrom(this.buf, start, this.end, this.max);
      this.st.crcVerifiedEnd = batch.verifiedEnd;
    }
    const code = parseRecord(this.buf, start, this.end, this.max, this.verify, this.st);
    if (code === PARSE_OK) {
      this.pos = start + this.st.recordSize;
      return (this.last = 'ok');
    }
    return (this.last = code === PARSE_CORRUPT ? 'corrupt' : 'incomplete');
  }

  /** Status returned by the last `next()`. */
  get status(): ScanStatus {
    return this.last;
  }
  /** The buffer being scanned. */
  get buffer(): Uint8Array {
    return this.buf;
  }
  get recordStart(): number {
    return this.st.recordStart;
  }
  get recordSize(): number {
    return this.st.recordSize;
  }
  /** Offset just after the last 'ok' record (= where to resume or truncate). */
  get cursor(): number {
    return this.pos;
  }
  get keyStart(): number {
    return this.st.keyStart;
  }
  get keyEnd(): number {
    return this.st.keyEnd;
  }
  /** Raw (possibly compressed) value bytes. */
  get valueStart(): number {
    return this.st.valueStart;
  }
  get valueEnd(): number {
    return this.st.valueEnd;
  }
  get tombstone(): boolean {
    return this.st.tombstone;
  }
  get compression(): Compression {
    return this.st.compression;
  }
  get ttlMs(): bigint | undefined {
    return this.st.ttlMs;
  }
  /** After 'incomplete': total bytes the record needs from `recordStart` (a lower bound if the header was cut). */
  get needed(): number {
    return this.st.needed;
  }
  /** After 'incomplete': the header claims more than maxRecordSize (corruption, not a torn tail). */
  get tooLarge(): boolean {
    return this.st.tooLarge;
  }
  /** After 'corrupt': why. */
  get corruptReason(): CorruptReason | undefined {
    return this.last === 'corrupt' ? this.st.corruptReason : undefined;
  }
  /** After 'corrupt': a human-readable description. */
  get corruptMessage(): string | undefined {
    return this.last === 'corrupt' ? this.st.corruptMessage() : undefined;
  }

  /** Key of the current record: a view into the buffer, or a copy. */
  key(copy = false): Uint8Array {
    this.assertOk();
    const { keyStart, keyEnd } = this.st;
    return copy ? this.buf.slice(keyStart, keyEnd) : this.buf.subarray(keyStart, keyEnd);
  }

  /**
   * Logical value of the current record: a view (or copy) of the raw bytes when uncompressed;
   * decompressed (always its own buffer) otherwise. Throws NoriCodecError
   * ERR_DECOMPRESSION_FAILED if the compressed payload is bad and was not verified by `next()`.
   */
  value(copy = false): Uint8Array {
    this.assertOk();
    const st = this.st;
    if (isCompressed(st.flags)) return decompressedValue(this.buf, st, this.max);
    return copy ? this.buf.slice(st.valueStart, st.valueEnd) : this.buf.subarray(st.valueStart, st.valueEnd);
  }

  /** The current record as a {@link WalRecord}. */
  record(copy = false): WalRecord {
    return {
      key: this.key(copy),
      value: this.value(copy),
      tombstone: this.st.tombstone,
      ttlMs: this.st.ttlMs,
      compression: this.st.compression,
    };
  }

  /** New bytes or a new position: no record counts as CRC-checked any more. */
  private forgetVerified(at: number): void {
    this.batch.reset(at);
    this.st.crcVerifiedEnd = 0;
  }

  private assertOk(): void {
    if (this.last !== 'ok') throw new RangeError(`no current record (last next() returned '${this.last}')`);
  }
}
