import { RecordScanner, type CorruptReason } from '@nori/codec';
import type { StorageFile } from '@nori/storage';
import { uninitializedBytes, zeroOutside } from './chunk-memory.js';

/** Default read size: large reads, no per-record syscall. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MIN_BUFFER = 64 * 1024;
/**
 * Room kept in front of prefetched bytes for the partial record carried over from the current
 * chunk; a longer one is copied with the prefetched bytes into a fresh buffer instead.
 */
const PREFETCH_RESERVE = 16 * 1024;
/** Double-buffered mode recycles this many chunk buffers: the one being parsed and the one being read. */
const MAX_SPARE_CHUNKS = 2;

interface PrefetchResult {
  bytes: number;
  error?: unknown;
}

interface Prefetch {
  /** File offset of `buffer[reserve]`. */
  position: number;
  buffer: Uint8Array;
  reserve: number;
  /** Bytes asked for. */
  length: number;
  /** Never rejects: a read error is kept for the fill that needs the bytes. */
  done: Promise<PrefetchResult>;
}

/** Reads until `length` bytes or the end of the file; never rejects. */
async function readAll(file: StorageFile, target: Uint8Array, offset: number, length: number, position: number): Promise<PrefetchResult> {
  let bytes = 0;
  try {
    while (bytes < length) {
      const n = await file.read(target, offset + bytes, length - bytes, position + bytes);
      if (n <= 0) break;
      bytes += n;
    }
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

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
  /** The buffer and data end `records` was last reset to (see {@link SegmentScanner.step}). */
  private aimed: Uint8Array | undefined;
  private aimedEnd = 0;

  private readonly stableChunks: boolean;
  /** Stable or double-buffered mode: each fill starts reading the next chunk. */
  private readonly prefetching: boolean;
  /** Double-buffered mode: chunk-sized buffers fills let go of, for the next prefetches (at most 2). */
  private readonly spares: Uint8Array[] = [];
  /** Double-buffered mode: the largest buffer a record larger than a chunk needed, for the next one. */
  private spareLarge: Uint8Array | undefined;
  /** Prefetch modes: the data size of the current chunk (what the next fill reads, at least). */
  private capacity = 0;
  /** Stable mode: the read of the bytes after the buffered data, started by the last fill. */
  private prefetch: Prefetch | undefined;
  /** Prefetch reads still running, including dropped ones. */
  private readonly inflight = new Set<Promise<PrefetchResult>>();
  /** The first chunk of a file opened next, read ahead by {@link SegmentScanner.prefetchFirstChunk}. */
  private upcoming: (Prefetch & { file: StorageFile }) | undefined;

  /**
   * With `stableChunks`, every `fill` reads into a new buffer and never overwrites an old one, so
   * views handed out stay valid for good (readers yield them without copying each record). It
   * also double-buffers: each fill starts reading the next chunk (up to the limit at that time)
   * so the read overlaps with parsing; call {@link SegmentScanner.idle} before closing the file.
   *
   * `doubleBuffered` (ignored with `stableChunks`) prefetches the same way but recycles two
   * buffers: views stay valid until the next `fill` only, memory stays at two chunks. Recovery
   * uses it: without it every chunk's read waited for the parse before it and the other way round.
   */
  constructor(options: {
    maxRecordSize: number;
    chunkSize?: number;
    stableChunks?: boolean;
    doubleBuffered?: boolean;
    /** Decompress compressed values to check them (default true, as the codec's scanner). */
    verifyCompressed?: boolean;
  }) {
    this.maxRecordSize = options.maxRecordSize;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.stableChunks = options.stableChunks === true;
    this.prefetching = this.stableChunks || options.doubleBuffered === true;
    this.records = new RecordScanner({ maxRecordSize: options.maxRecordSize, verifyCompressed: options.verifyCompressed ?? true });
  }

  /**
   * Starts reading the first chunk of `file` (from `start`, never at or past `limit`) while this
   * scanner still scans another file: recovery opens the next segment ahead of its turn. The
   * `open` of that file at `start` takes the read over; an open of it elsewhere drops it.
   */
  prefetchFirstChunk(file: StorageFile, start: number, limit: number): void {
    const length = Math.min(this.chunkSize, limit - start);
    if (!this.prefetching || length <= 0) return;
    this.upcoming = { ...this.readAhead(file, start, length), file };
  }

  /** Forgets a first chunk read ahead for `file`; resolves once its read ended (the file may then close). */
  async dropFirstChunk(file: StorageFile): Promise<void> {
    const upcoming = this.upcoming;
    if (upcoming?.file !== file) return;
    this.upcoming = undefined;
    await upcoming.done;
  }

  /** Starts scanning `file` at `start`; bytes at or after `limit` are never read. */
  open(file: StorageFile, start: number, limit: number): void {
    this.file = file;
    // A prefetch in flight belongs to the old position: dropped (its result never rejects).
    this.prefetch = undefined;
    const upcoming = this.upcoming;
    if (upcoming?.file === file) {
      this.upcoming = undefined;
      if (upcoming.position === start) this.prefetch = upcoming;
    }
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
      // The codec scanner's cursor follows ours record by record: re-aim it only when the buffered
      // bytes changed (open, fill, release), not once per record.
      if (this.aimed !== this.buffer || scanner.cursor !== this.cursor || this.aimedEnd !== this.dataEnd) {
        scanner.reset(this.buffer, this.cursor, this.dataEnd);
        this.aimed = this.buffer;
        this.aimedEnd = this.dataEnd;
      }
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
    try {
      return await this.fillFrom(file);
    } finally {
      // Buffers come uninitialized: the bytes no read or copy wrote are zeroed before views of
      // this buffer (whose `.buffer` is all of it) can be handed out.
      zeroOutside(this.buffer, this.cursor, this.dataEnd);
    }
  }

  private async fillFrom(file: StorageFile): Promise<boolean> {
    const leftover = this.dataEnd - this.cursor;
    // Total bytes to hold from the cursor: fill the buffer we have (at least a chunk), or what the
    // pending record needs. Asking for `leftover + chunk` would reallocate at every carried-over
    // record; the buffer only grows for records larger than it.
    const target = Math.min(
      Math.max(this.wantBytes, this.prefetching ? this.capacity : this.buffer.length, this.chunkSize),
      this.limitOffset - this.bufferFileOffset - this.cursor,
    );
    this.wantBytes = 0;
    if (this.prefetching) {
      const prefetch = this.prefetch;
      this.prefetch = undefined;
      if (prefetch !== undefined && prefetch.position === this.bufferFileOffset + this.dataEnd) {
        await this.takePrefetch(prefetch, leftover, target);
      } else {
        // Sized like a prefetch buffer (reserve + data): a full chunk takes a recycled chunk buffer.
        const fresh = this.allocate(this.prefetchReserve() + target);
        this.capacity = this.nextCapacity(target);
        fresh.set(this.buffer.subarray(this.cursor, this.dataEnd), 0);
        this.letGo(this.buffer);
        this.buffer = fresh;
        this.bufferFileOffset += this.cursor;
        this.cursor = 0;
        this.dataEnd = leftover;
      }
    } else {
      if (target > this.buffer.length) {
        const size = Math.max(target, MIN_BUFFER, Math.min(2 * this.buffer.length, this.chunkSize));
        const grown = uninitializedBytes(size);
        grown.set(this.buffer.subarray(this.cursor, this.dataEnd), 0);
        this.buffer = grown;
      } else if (this.cursor > 0 && leftover > 0) {
        this.buffer.copyWithin(0, this.cursor, this.dataEnd);
      }
      this.bufferFileOffset += this.cursor;
      this.cursor = 0;
      this.dataEnd = leftover;
    }
    // Bytes still missing from the cursor (a prefetch may already have supplied some).
    let remaining = target - (this.dataEnd - this.cursor);
    let position = this.bufferFileOffset + this.dataEnd;
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
    if (this.prefetching) this.startPrefetch(file);
    return true;
  }

  /**
   * Double buffering (stable mode): starts reading the bytes after the buffered data, up to a
   * chunk and never past the current limit, while the caller parses what is buffered.
   */
  private startPrefetch(file: StorageFile): void {
    const position = this.bufferFileOffset + this.dataEnd;
    // Recycled buffers read one chunk ahead whatever the last record needed (memory stays bounded).
    const ahead = this.stableChunks ? Math.max(this.capacity, this.chunkSize) : this.chunkSize;
    const length = Math.min(ahead, this.limitOffset - position);
    if (length <= 0) return;
    this.prefetch = this.readAhead(file, position, length);
  }

  /** Starts reading `length` bytes of `file` at `position` into a buffer with a reserve in front. */
  private readAhead(file: StorageFile, position: number, length: number): Prefetch {
    const reserve = this.prefetchReserve();
    const buffer = this.allocate(reserve + length);
    const done = readAll(file, buffer, reserve, length, position);
    // Tracked until it settles: idle() waits for it before the file may close.
    this.inflight.add(done);
    void done.then(() => this.inflight.delete(done));
    return { position, buffer, reserve, length, done };
  }

  /**
   * Makes the prefetched bytes (which start right after the buffered data) the new buffer,
   * behind the `leftover` unconsumed bytes. A prefetch error surfaces here, where the bytes are
   * needed; a short prefetch (end of file) leaves the rest to the read loop, which reports it.
   */
  private async takePrefetch(prefetch: Prefetch, leftover: number, target: number): Promise<void> {
    const result = await prefetch.done;
    const room = target - leftover;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the prefetch read's own error
    if (result.error !== undefined && result.bytes < room) throw result.error;
    // Keep every prefetched byte (the fill's target is a minimum), never one past the limit.
    const usable = Math.max(0, Math.min(result.bytes, this.limitOffset - prefetch.position));
    const old = this.buffer;
    const from = this.cursor;
    if (leftover <= prefetch.reserve && room <= prefetch.length) {
      // The partial record goes into the room reserved in front of the prefetched bytes.
      const buffer = prefetch.buffer;
      const start = prefetch.reserve - leftover;
      buffer.set(old.subarray(from, from + leftover), start);
      this.letGo(old);
      this.buffer = buffer;
      this.capacity = Math.max(prefetch.length, this.chunkSize);
      this.bufferFileOffset = prefetch.position - prefetch.reserve;
      this.cursor = start;
      this.dataEnd = prefetch.reserve + usable;
      return;
    }
    const fresh = this.allocate(Math.max(target, this.chunkSize, leftover + usable));
    this.capacity = this.nextCapacity(target);
    fresh.set(old.subarray(from, from + leftover), 0);
    fresh.set(prefetch.buffer.subarray(prefetch.reserve, prefetch.reserve + usable), leftover);
    this.letGo(prefetch.buffer);
    this.letGo(old);
    this.buffer = fresh;
    this.bufferFileOffset += from;
    this.cursor = 0;
    this.dataEnd = leftover + usable;
  }

  /**
   * What the next fill reads at least after one that needed `target` bytes: as much again when
   * chunks are stable (a reader following large records), one chunk when buffers are recycled.
   */
  private nextCapacity(target: number): number {
    return this.stableChunks ? Math.max(target, this.chunkSize) : this.chunkSize;
  }

  /** Room kept in front of prefetched bytes for a carried-over partial record. */
  private prefetchReserve(): number {
    return Math.min(PREFETCH_RESERVE, this.chunkSize);
  }

  /** Size of a chunk buffer (reserve + chunk): what double-buffered mode recycles. */
  private chunkBufferSize(): number {
    return this.prefetchReserve() + this.chunkSize;
  }

  /**
   * A buffer of at least `size` bytes: double-buffered, a recycled chunk buffer, or the kept large
   * one for a record larger than a chunk. Memory: two chunk buffers and the largest record's.
   */
  private allocate(size: number): Uint8Array {
    if (this.stableChunks) return uninitializedBytes(size);
    const chunk = this.chunkBufferSize();
    // A small file or tail gets a buffer of its size: a chunk buffer would cost a chunk-sized
    // allocation (or memset of what no read fills) per open of a tiny segment.
    if (size <= chunk / 2) return uninitializedBytes(size);
    if (size <= chunk) return this.spares.pop() ?? uninitializedBytes(chunk);
    const large = this.spareLarge;
    if (large !== undefined && large.length >= size) {
      this.spareLarge = undefined;
      return large;
    }
    return uninitializedBytes(size);
  }

  /** `buffer` is no longer read from: double-buffered, it is kept for {@link allocate}. */
  private letGo(buffer: Uint8Array): void {
    if (this.stableChunks || !this.prefetching) return;
    if (buffer.length === this.chunkBufferSize()) {
      if (this.spares.length < MAX_SPARE_CHUNKS) this.spares.push(buffer);
    } else if (buffer.length > this.chunkBufferSize() && buffer.length > (this.spareLarge?.length ?? 0)) this.spareLarge = buffer;
  }

  /** Resolves once no dropped or pending prefetch is still reading (call before closing the file). */
  async idle(): Promise<void> {
    for (;;) {
      // The first chunk read ahead for the next file is that file's, not this one's.
      const upcoming = this.upcoming?.done;
      const pending = [...this.inflight].filter((read) => read !== upcoming);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  /** Drops buffered data and the file reference (the scanner can be reopened). */
  release(): void {
    this.prefetch = undefined;
    this.file = undefined;
    this.dataEnd = 0;
    this.cursor = 0;
  }
}
