import type { RecordInput } from '@nori/codec';
import type { Storage, StorageLock } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, resolveConfig, type ResolvedConfig } from './config.js';
import { WalError, closedError, ioError, readOnlyError } from './errors.js';
import { checkAppendOptions, checkIndex } from './options.js';
import { GcHolds, type WalHold } from './gc-holds.js';
import { isPosition } from './position.js';
import type { LogReader } from './log-reader.js';
import type { CutState, LogView, ReaderCursor } from './log-view.js';
import { readLog } from './reader.js';
import { getEntry } from './get-entry.js';
import { MAX_INDEX, SAMPLE_BYTES, type SequenceIndex } from './sequence-index.js';
import { LogChanges } from './log-changes.js';
import type { SegmentTable } from './segment-table.js';
import type { AppendOptions, AppendResult, Position, ReadOptions, RecoveryReport, SegmentInfo, WalConfig, WalEntry, WalStats } from './types.js';
import { batchWrite, submitRecord, syncMarker } from './pending-write.js';
import { encodeError } from './encoder.js';
import type { Writer } from './writer.js';
import { startWal, type StartedWal } from './startup.js';

/**
 * A write-ahead log in a directory of Rust nori-wal compatible segment files.
 *
 * ```ts
 * const { wal, recovery } = await Wal.open({ dir: './data', fsync: 'always' });
 * const position = await wal.append({ key: 'user:1', value: '{"name":"ada"}' });
 * for await (const entry of wal.read()) console.log(entry.position, entry.key);
 * await wal.close();
 * ```
 */
export class Wal implements AsyncDisposable {
  private readonly config: ResolvedConfig;
  /** Undefined when read-only, and while `truncateAfter` cuts the log (see `paused`). */
  private writer: Writer | undefined;
  private readonly lock: StorageLock | undefined;
  private readonly table: SegmentTable;
  private readonly readers = new Set<ReaderCursor>();
  private readonly holds = new GcHolds();
  private readonly view: LogView;
  /** The end of the log when no writer runs (read-only, or during a cut). */
  private readOnlyEnd: Position;
  private readonly sequence: SequenceIndex;
  private readonly cuts: CutState = { epoch: 0, lastIndex: 0, at: { segmentId: 0, offset: 0 } };
  /** Set when the writer could not be restarted after a cut: the WAL is failed. */
  private brokenBy: WalError | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly closedController = new AbortController();
  /** GC and truncations, one at a time; `paused` while a `truncateAfter` runs. */
  private readonly changes: LogChanges;

  private constructor(config: ResolvedConfig, started: StartedWal) {
    const { writer, lock, table, skips, sequence, handles } = started;
    this.config = config;
    this.writer = writer;
    this.lock = lock;
    this.table = table;
    this.readOnlyEnd = started.report.lastPosition;
    this.sequence = sequence;
    const neverWrites = new Promise<void>(() => undefined);
    this.view = {
      sequence,
      handles,
      cuts: this.cuts,
      storage: config.storage,
      // maxRecordSize limits writes only: every record the format allows is read back.
      maxRecordSize: MAX_RECORD_SIZE_LIMIT,
      table,
      skips,
      checkOpen: () => {
        if (this.closing !== undefined) throw closedError();
      },
      waitForWrite: () => this.changes.paused ?? (this.writer === undefined ? neverWrites : this.writer.waitForWrite()),
      register: (cursor) => {
        this.readers.add(cursor);
        return () => this.readers.delete(cursor);
      },
      polling: writer === undefined,
      closed: this.closedController.signal,
    };
    this.changes = new LogChanges(config, started, this.view, {
      isClosing: () => this.closing !== undefined,
      protectedFrom: () => this.holds.protectedFrom(this.readers),
      writerFor: (what) => this.writerFor(what),
      setWriter: (next) => {
        this.writer = next;
      },
      setEnd: (end) => {
        this.readOnlyEnd = end;
      },
      fail: (error) => {
        this.brokenBy = error;
      },
    });
  }

  /**
   * Opens (creating if needed) the WAL, takes the writer lock (unless `readOnly`) and runs
   * recovery. Resolves with the WAL and the recovery report.
   * @throws WalError `ERR_CONFIG`, `ERR_LOCKED`, `ERR_CORRUPTION` (strict recovery), `ERR_NOT_FOUND`,
   *   `ERR_NOT_REGULAR_FILE` (a segment or side file is a link, directory or special file).
   */
  static async open(config: WalConfig): Promise<{ wal: Wal; recovery: RecoveryReport }> {
    const cfg = resolveConfig(config);
    const started = await startWal(cfg);
    return { wal: new Wal(cfg, started), recovery: started.report };
  }

  /** `'open'`, `'failed'` (after a write/fsync error; reads still work) or `'closed'`. */
  get state(): 'open' | 'failed' | 'closed' {
    if (this.closing !== undefined) return 'closed';
    return this.writer?.failed === undefined && this.brokenBy === undefined ? 'open' : 'failed';
  }

  /** Position just after the last byte handed to the OS. */
  get writtenPosition(): Position {
    return this.writer?.writtenPosition ?? { ...this.readOnlyEnd };
  }

  /** Position just after the last fsynced byte. */
  get durablePosition(): Position {
    return this.writer?.durablePosition ?? { ...this.readOnlyEnd };
  }

  private writerFor(what: string): Writer {
    if (this.closing !== undefined) throw closedError();
    if (this.brokenBy !== undefined) throw this.brokenBy;
    if (this.writer === undefined) throw readOnlyError(what);
    return this.writer;
  }

  /**
   * Throws unless the WAL may be changed: open, writable and not failed (a `truncateAfter` in
   * progress does not count: its writer is restarted before the next change runs).
   */
  private checkWritable(what: string): void {
    if (this.closing !== undefined) throw closedError();
    if (this.config.readOnly) throw readOnlyError(what);
    if (this.brokenBy !== undefined) throw this.brokenBy;
  }

  /** Refuses records whose indexes would pass 2^53 - 1 (counting those still queued). */
  private checkIndexRoom(writer: Writer, records: number): void {
    // Compared as room left: sums near 2^53 are not exact.
    if (MAX_INDEX - this.sequence.lastIndex < writer.pendingRecords + records) {
      throw new WalError('ERR_INDEX_OVERFLOW', `appending ${records} record(s) would pass the largest sequence number ${MAX_INDEX} (2^53 - 1)`);
    }
  }

  /** Index of the first readable record (`lastIndex + 1` when the log holds none). */
  get firstIndex(): number {
    return this.sequence.firstIndex;
  }

  /** Index of the last record written (`firstIndex - 1` when the log holds none). */
  get lastIndex(): number {
    return this.sequence.lastIndex;
  }

  /**
   * Appends one record. Resolves with its index and position once the fsync policy's promise holds
   * (`always` or `durable: true`: fsynced; `batch`/`os`: handed to the OS).
   * @throws WalError `ERR_CLOSED`, `ERR_FAILED`, `ERR_ABORTED`, `ERR_RECORD_TOO_LARGE`, `ERR_READ_ONLY`, `ERR_INVALID_RECORD`,
   * `ERR_INVALID_ARGUMENT` (bad options), `ERR_INDEX_OVERFLOW`. During a `truncateAfter` it waits
   * for the cut and appends after it.
   */
  append(record: RecordInput, options?: AppendOptions): Promise<AppendResult> {
    if (this.changes.paused !== undefined && this.closing === undefined) return this.changes.paused.then(() => this.append(record, options));
    let writer: Writer;
    let encoded: Uint8Array;
    try {
      writer = this.writerFor('append');
      checkAppendOptions(options);
      this.checkIndexRoom(writer, 1);
      encoded = writer.encoder.encode(record);
    } catch (error) {
      return Promise.reject(encodeError(error));
    }
    return submitRecord(writer, encoded, options);
  }

  /**
   * Appends records as one crash-atomic group: written with one gathered write, never split
   * across segments, and after a crash either all of them or none are recovered.
   * Resolves with one `{ index, position }` per record (consecutive indexes). Rejects like
   * {@link Wal.append}; nothing of the batch is written if any record or option is invalid.
   */
  appendBatch(records: readonly RecordInput[], options?: AppendOptions): Promise<AppendResult[]> {
    if (this.changes.paused !== undefined && this.closing === undefined) return this.changes.paused.then(() => this.appendBatch(records, options));
    let writer: Writer;
    const buffers: Uint8Array[] = [];
    let bytes = 0;
    try {
      writer = this.writerFor('appendBatch');
      checkAppendOptions(options);
      const list: unknown = records; // Array.isArray would narrow a readonly array to `any[]`
      if (!Array.isArray(list)) throw new WalError('ERR_INVALID_RECORD', 'appendBatch expects an array of records');
      for (const record of records) {
        const encoded = writer.encoder.encode(record);
        buffers.push(encoded);
        bytes += encoded.length;
      }
      this.checkIndexRoom(writer, buffers.length);
    } catch (error) {
      return Promise.reject(encodeError(error));
    }
    if (buffers.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => writer.enqueue(batchWrite(buffers, bytes, options, { resolve, reject })));
  }

  /** Makes everything appended so far durable; resolves with the durable position. */
  sync(): Promise<Position> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    if (this.changes.paused !== undefined) return this.changes.paused.then(() => this.sync());
    if (this.brokenBy !== undefined) return Promise.reject(this.brokenBy);
    const writer = this.writer;
    if (writer === undefined) return Promise.resolve({ ...this.readOnlyEnd });
    return new Promise<Position>((resolve, reject) => writer.enqueue(syncMarker({ resolve, reject })));
  }

  /**
   * Takes a GC hold at `position`: until it is released, {@link Wal.deleteSegmentsBefore} never
   * deletes `position`'s segment or a later one (e.g. an archiver holds from the first segment it
   * has not fully shipped). Move the hold forward with `moveTo`, release it with `release()` (or
   * `using`). Holds live in memory only: they end with the WAL.
   * @throws WalError `ERR_CLOSED`, `ERR_INVALID_POSITION`.
   */
  retain(position: Position): WalHold {
    if (this.closing !== undefined) throw closedError();
    return this.holds.retain(position);
  }

  /**
   * The WAL's storage, for tools that read segment files raw or keep their own side files next
   * to the log (e.g. `@nori/archive`'s archiver: segment bytes and `archive.json`). Never write
   * or remove segment files or the WAL's own side files through it.
   */
  get storage(): Storage {
    return this.config.storage;
  }

  /**
   * Iterates records in log order (see {@link ReadOptions}). Each reader keeps its segment
   * (and later ones) safe from GC while it runs; break out of the loop (or abort, or dispose the
   * reader with `await using`) to release it.
   */
  read(options?: ReadOptions): LogReader {
    return readLog(this.view, options);
  }

  /**
   * Deletes whole segments that end before `position`'s segment, never the active one and never
   * one an open reader or a GC hold ({@link Wal.retain}) still needs; fsyncs the directory after
   * each removal (so a crash leaves a contiguous log). Before each deletion `index.json` records
   * the first index of the segment after it, so sequence numbers survive. Resolves with the
   * deleted ids.
   */
  deleteSegmentsBefore(position: Position): Promise<number[]> {
    try {
      this.checkWritable('deleteSegmentsBefore');
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isPosition(position)) {
      return Promise.reject(new WalError('ERR_INVALID_POSITION', 'position must be { segmentId, offset } with non-negative integers'));
    }
    return this.changes.deleteSegmentsBefore(position.segmentId);
  }

  /**
   * Reads one record by sequence number or by position, without scanning from the start: a
   * sparse in-memory index gives the nearest sampled record, a bounded read (about
   * `2 * SPARSE_INDEX_STRIDE` bytes) finds the record. The entry holds compact copies.
   * @throws WalError `ERR_INDEX_TRUNCATED` (below `firstIndex`), `ERR_INDEX_OUT_OF_RANGE` (above
   *   `lastIndex`), `ERR_INVALID_POSITION` (no record starts there), `ERR_SEGMENT_GONE`, `ERR_CLOSED`,
   *   `ERR_LOG_TRUNCATED` (a `truncateAfter` issued meanwhile cut the record while it was read).
   */
  async get(target: number | Position): Promise<WalEntry> {
    if (this.closing !== undefined) throw closedError();
    if (this.changes.paused !== undefined) await this.changes.paused;
    return getEntry(this.view, target);
  }

  /**
   * Removes every record after `index` (Raft: a follower's conflicting suffix), crash-atomically:
   * after a crash the log ends at its old end or exactly at `index`. Appends already accepted are
   * written first (and cut if above `index`); appends made meanwhile wait and get `index + 1`
   * onwards. Readers past the cut fail with `ERR_LOG_TRUNCATED`. `index` may be `firstIndex - 1`
   * (empties the log).
   * @throws WalError `ERR_INDEX_TRUNCATED` (below `firstIndex - 1`), `ERR_INDEX_OUT_OF_RANGE`,
   *   `ERR_READ_ONLY`, `ERR_CLOSED`, `ERR_FAILED`, `ERR_INVALID_ARGUMENT`.
   */
  truncateAfter(index: number): Promise<void> {
    try {
      this.checkWritable('truncateAfter');
      checkIndex('truncateAfter', index);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.changes.truncateAfter(index);
  }

  /**
   * Removes every record before `index` for readers (Raft snapshot compaction, queue retention):
   * the mark is persisted in `index.json` first; reads and `get` below it then fail with
   * `ERR_INDEX_TRUNCATED`, even while the segment file still exists; whole segments below it are
   * deleted through GC (never one an open reader still needs). Resolves with the deleted ids.
   * `index` may be `lastIndex + 1` (nothing left to read; appends continue there).
   * @throws WalError `ERR_INDEX_OUT_OF_RANGE`, `ERR_READ_ONLY`, `ERR_CLOSED`, `ERR_INVALID_ARGUMENT`, `ERR_IO`.
   */
  truncateBefore(index: number): Promise<number[]> {
    try {
      this.checkWritable('truncateBefore');
      checkIndex('truncateBefore', index);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.changes.truncateBefore(index);
  }

  /** The segments of the log, oldest first. */
  async segments(): Promise<SegmentInfo[]> {
    if (this.closing !== undefined) throw closedError();
    return this.table.infos();
  }

  /** Counters and watermarks. */
  stats(): WalStats {
    const writer = this.writer;
    return {
      segments: this.table.ids().length,
      diskBytes: this.table.diskBytes(),
      queuedBytes: writer?.queuedBytes ?? 0,
      appendedRecords: writer?.appendedRecords ?? 0,
      appendedBytes: writer?.appendedBytes ?? 0,
      fsyncs: writer?.fsyncs ?? 0,
      writtenPosition: this.writtenPosition,
      durablePosition: this.durablePosition,
      firstIndex: this.sequence.firstIndex,
      lastIndex: this.sequence.lastIndex,
      sparseIndexBytes: this.sequence.sampleCount * SAMPLE_BYTES,
    };
  }

  /**
   * Writes and fsyncs everything accepted, trims the preallocated tail, closes the files and
   * releases the lock. Idempotent. Later calls fail with `ERR_CLOSED`; running readers too.
   * Rejects with `ERR_FAILED` if the final flush or fsync fails (resources are released anyway);
   * closing a WAL that had already failed resolves.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.shutdown();
      this.closedController.abort();
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // A failure already reported to appends before close() is not close()'s to report again;
    // one that breaks close()'s own flush + fsync is.
    const failedBefore = this.writer?.failed !== undefined || this.brokenBy !== undefined;
    let error: WalError | undefined;
    let writer: Writer | undefined;
    try {
      await this.changes.idle();
      // Read after GC and truncations: a cut replaces the writer.
      writer = this.writer;
      await writer?.close();
    } catch (cause) {
      error = ioError('close', cause);
    }
    // An iterator abandoned between two records never runs its cleanup: close its file for it
    // (running readers meet ERR_CLOSED at their next step and close theirs).
    await Promise.all([...this.readers].map((reader) => reader.release()));
    await this.view.handles.closeAll();
    this.closed = true;
    try {
      await this.lock?.release();
    } catch (cause) {
      error ??= ioError('releasing the writer lock', cause);
    }
    if (error === undefined && !failedBefore && writer?.failed !== undefined) error = writer.failed;
    if (error !== undefined) throw error;
  }

  /** True once `close()` finished. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Same as {@link Wal.close} (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
