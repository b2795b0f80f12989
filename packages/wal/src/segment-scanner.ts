import { RecordScanner, type CorruptReason } from '@nori/codec';
import type { StorageFile } from '@nori/storage';

/** Default read size: large reads, no per-record syscall. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MIN_BUFFER = 64 * 1024;

/**
 * Outcome of {@link SegmentScanner.step}:
 * - `ok`: a valid record is at {@link SegmentScanner.recordOffset} (accessors on `records`).
 * - `need-data`: call {@link SegmentScanner.fill} and step again.
 * - `end`: the region is exhausted exactly at a record boundary.
 * - `torn`: the bytes before the limit end in the middle of a record.
 * - `corrupt`: the bytes at {@link SegmentScanner.badOffset} are not a valid record.
 */
export type StepStatus = 'ok' | 'need-data' | 'end' | 'torn' | 'corrupt';

/**
 * Streams the records of one segment region with bounded memory: reads in large chunks, carries
 * a partial record over to the next chunk, and grows its buffer only for records larger than a
 * chunk (up to `maxRecordSize`). Views returned by `records` stay valid until the next `fill`
 * (for good with `stableChunks`).
 */
export class SegmentScanner {
  /** The codec scanner positioned on the current record after an `ok` step. */
  readonly records: RecordScanner;
  private readonly chunkSize: number;
  private readonly maxRecordSize: number;
  private buffer: Uint8Array = new Uint8Array(0);
  private file: StorageFile | undefined;
  /** File offset of `buffer[0]`. */
  private bufferFileOffset = 0;
  /** Valid bytes in `buffer`. */
  private dataEnd = 0;
  /** Offset in `buffer` where the next record starts. */
  private cursor = 0;
  private limitOffset = 0;
  private wantBytes = 0;
  private lastReason: CorruptReason | 'incomplete' | undefined;

  private readonly stableChunks: boolean;

  /**
   * With `stableChunks`, every `fill` reads into a new buffer and never overwrites an old one, so
   * views handed out stay valid for good (readers yield them without copying each record).
   */
  constructor(options: { maxRecordSize: number; chunkSize?: number; stableChunks?: boolean }) {
    this.maxRecordSize = options.maxRecordSize;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.stableChunks = options.stableChunks === true;
    this.records = new RecordScanner({ maxRecordSize: options.maxRecordSize });
  }

  /** Starts scanning `file` at `start`; bytes at or after `limit` are never read. */
  open(file: StorageFile, start: number, limit: number): void {
    this.file = file;
    this.bufferFileOffset = start;
    this.dataEnd = 0;
    this.cursor = 0;
    this.limitOffset = limit;
    this.wantBytes = 0;
    this.lastReason = undefined;
  }

  /** Moves the limit (a reader following the active segment sees it grow). */
  setLimit(limit: number): void {
    this.limitOffset = limit;
  }

  /** Current limit. */
  get limit(): number {
    return this.limitOffset;
  }

  /** File offset where the next record starts (= end of the last valid record). */
  get offset(): number {
    return this.bufferFileOffset + this.cursor;
  }

  /** File offset of the record found by the last `ok` step. */
  get recordOffset(): number {
    return this.bufferFileOffset + this.records.recordStart;
  }

  /** Why the last step returned `corrupt` or `torn`. */
  get badReason(): CorruptReason | 'incomplete' | undefined {
    return this.lastReason;
  }

  /** File offset of the damage after a `corrupt` or `torn` step. */
  get badOffset(): number {
    return this.bufferFileOffset + this.cursor;
  }

  /** Finds the next record in the bytes already buffered; never does I/O. */
  step(): StepStatus {
    const scanner = this.records;
    if (this.cursor < this.dataEnd) {
      scanner.reset(this.buffer, this.cursor, this.dataEnd);
      const status = scanner.next();
      if (status === 'ok') {
        this.cursor = scanner.recordStart + scanner.recordSize;
        return 'ok';
      }
      if (status === 'corrupt') {
        this.lastReason = scanner.corruptReason ?? 'crc-mismatch';
        return 'corrupt';
      }
      if (status === 'incomplete') {
        if (scanner.tooLarge) {
          this.lastReason = 'too-large';
          return 'corrupt';
        }
        const needed = Math.max(scanner.needed, this.dataEnd - this.cursor + 1);
        if (this.bufferFileOffset + this.cursor + needed > this.limitOffset) {
          // Even the bytes the header promises do not fit before the limit: a torn record.
          this.lastReason = 'incomplete';
          return 'torn';
        }
        this.wantBytes = needed;
        return 'need-data';
      }
    }
    if (this.bufferFileOffset + this.dataEnd >= this.limitOffset) return 'end';
    this.wantBytes = 0;
    return 'need-data';
  }

  /**
   * Reads the next chunk (keeping the unconsumed partial record). Returns false when the file
   * ended before the limit (the limit then shrinks to the file's end).
   */
  async fill(): Promise<boolean> {
    const file = this.file;
    if (file === undefined) throw new Error('SegmentScanner.fill before open');
    const leftover = this.dataEnd - this.cursor;
    // Total bytes to hold from the cursor: fill the buffer we have (at least a chunk), or what the
    // pending record needs. Asking for `leftover + chunk` would reallocate at every carried-over
    // record; the buffer only grows for records larger than it.
    const target = Math.min(
      Math.max(this.wantBytes, this.buffer.length, this.chunkSize),
      this.limitOffset - this.bufferFileOffset - this.cursor,
    );
    this.wantBytes = 0;
    if (this.stableChunks) {
      const fresh = new Uint8Array(Math.max(target, this.chunkSize));
      fresh.set(this.buffer.subarray(this.cursor, this.dataEnd), 0);
      this.buffer = fresh;
    } else if (target > this.buffer.length) {
      const size = Math.max(target, MIN_BUFFER, Math.min(2 * this.buffer.length, this.chunkSize));
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(this.cursor, this.dataEnd), 0);
      this.buffer = grown;
    } else if (this.cursor > 0 && leftover > 0) {
      this.buffer.copyWithin(0, this.cursor, this.dataEnd);
    }
    this.bufferFileOffset += this.cursor;
    this.cursor = 0;
    this.dataEnd = leftover;
    const room = target - this.dataEnd;
    let position = this.bufferFileOffset + this.dataEnd;
    let remaining = room;
    while (remaining > 0) {
      const n = await file.read(this.buffer, this.dataEnd, remaining, position);
      if (n <= 0) {
        this.limitOffset = position;
        return false;
      }
      this.dataEnd += n;
      position += n;
      remaining -= n;
    }
    return true;
  }

  /** Drops buffered data and the file reference (the scanner can be reopened). */
  release(): void {
    this.file = undefined;
    this.dataEnd = 0;
    this.cursor = 0;
  }
}
