import { NoriCodecError, type RecordInput } from '@nori/codec';
import type { Storage, StorageLock } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, resolveConfig, type ResolvedConfig } from './config.js';
import { WalError, errorCode, ioError } from './errors.js';
import { hook } from './observer.js';
import { checkAppendOptions, throwIfAborted } from './options.js';
import { GcHolds, type WalHold } from './gc-holds.js';
import { isPosition } from './position.js';
import { readLog, type LogView, type ReaderCursor } from './reader.js';
import { refuseUnsafeEntries } from './entry-check.js';
import { persistSkippedRegions, recover, type RecoveryOptions, type RecoveryResult, type SkippedRegion } from './recovery.js';
import { removeStaleSkippedTmp } from './skipped-regions.js';
import { SealedLog, removeStaleSealedTmp, writeSealedLog } from './sealed-segments.js';
import { segmentName } from './segment-name.js';
import { SegmentTable } from './segment-table.js';
import { removeStaleSpares } from './spare-segment.js';
import type {
  AppendOptions,
  Position,
  ReadOptions,
  RecoveryReport,
  SegmentInfo,
  WalConfig,
  WalEntry,
  WalStats,
} from './types.js';
import { PendingWrite, Writer } from './writer.js';

function closedError(): WalError {
  return new WalError('ERR_CLOSED', 'the WAL is closed');
}

function readOnlyError(what: string): WalError {
  return new WalError('ERR_READ_ONLY', `${what} is not allowed: the WAL was opened with readOnly: true`);
}

/** Maps codec errors (record too large, invalid record, compression) to `WalError`s. */
function encodeError(error: unknown): Error {
  if (error instanceof NoriCodecError) {
    // Damaged compressed bytes are corruption of the log; every other codec code is also ours.
    const code = error.code === 'ERR_DECOMPRESSION_FAILED' ? 'ERR_CORRUPTION' : error.code;
    return new WalError(code, error.message, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

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
  private readonly writer: Writer | undefined;
  private readonly lock: StorageLock | undefined;
  private readonly table: SegmentTable;
  private readonly readers = new Set<ReaderCursor>();
  private readonly holds = new GcHolds();
  private readonly view: LogView;
  private readonly readOnlyEnd: Position;
  private closing: Promise<void> | undefined;
  private closed = false;
  private gcChain: Promise<unknown> = Promise.resolve();
  private readonly closedController = new AbortController();
  /** `sealed.log` (writable WAL only): GC drops entries before deleting their segments. */
  private sealedLog: SealedLog | undefined;

  private constructor(
    config: ResolvedConfig,
    writer: Writer | undefined,
    lock: StorageLock | undefined,
    table: SegmentTable,
    skips: Map<number, SkippedRegion[]>,
    end: Position,
  ) {
    this.config = config;
    this.writer = writer;
    this.lock = lock;
    this.table = table;
    this.readOnlyEnd = end;
    const neverWrites = new Promise<void>(() => undefined);
    this.view = {
      storage: config.storage,
      // maxRecordSize limits writes only: every record the format allows is read back.
      maxRecordSize: MAX_RECORD_SIZE_LIMIT,
      table,
      skips,
      checkOpen: () => {
        if (this.closing !== undefined) throw closedError();
      },
      waitForWrite: () => (writer === undefined ? neverWrites : writer.waitForWrite()),
      register: (cursor) => {
        this.readers.add(cursor);
        return () => this.readers.delete(cursor);
      },
      polling: writer === undefined,
      closed: this.closedController.signal,
    };
  }

  /**
   * Opens (creating if needed) the WAL, takes the writer lock (unless `readOnly`) and runs
   * recovery. Resolves with the WAL and the recovery report.
   * @throws WalError `ERR_CONFIG`, `ERR_LOCKED`, `ERR_CORRUPTION` (strict recovery), `ERR_NOT_FOUND`,
   *   `ERR_NOT_REGULAR_FILE` (a segment or side file is a link, directory or special file).
   */
  static async open(config: WalConfig): Promise<{ wal: Wal; recovery: RecoveryReport }> {
    const cfg = resolveConfig(config);
    const storage = cfg.storage;
    throwIfAborted(cfg.signal, 'Wal.open');
    let lock: StorageLock | undefined;
    if (!cfg.readOnly) {
      try {
        lock = await storage.lock();
      } catch (error) {
        if (errorCode(error) === 'ERR_LOCKED') {
          throw new WalError('ERR_LOCKED', `the WAL at ${storage.description} is locked by another writer`, { cause: error });
        }
        throw ioError(`locking ${storage.description}`, error);
      }
    }
    try {
      let result;
      try {
        await refuseUnsafeEntries(storage);
        const options: RecoveryOptions = {
          mode: cfg.recovery,
          readLimit: MAX_RECORD_SIZE_LIMIT,
          readOnly: cfg.readOnly,
          keepZeroTail: cfg.preallocate,
          observer: cfg.observer,
          signal: cfg.signal,
        };
        result = cfg.readOnly ? await recoverReadOnly(storage, options) : await recover(storage, options);
      } catch (error) {
        if (cfg.readOnly && errorCode(error) === 'ERR_NOT_FOUND' && !(error instanceof WalError)) {
          throw new WalError('ERR_NOT_FOUND', `no WAL at ${storage.description}`, { cause: error });
        }
        throw ioError(`recovery of ${storage.description}`, error);
      }
      throwIfAborted(cfg.signal, 'Wal.open');
      const { report, segments, skips } = result;
      const table = new SegmentTable();
      const last = segments[segments.length - 1];
      // A segment whose logical end is followed by skipped bytes is never appended to (new
      // records would land behind garbage): the next segment becomes the active one.
      const sealed = last?.sealed === true && !cfg.readOnly;
      segments.forEach((s, i) => table.add(s.id, s.size, s.fileSize, i === segments.length - 1 && !sealed));
      let writer: Writer | undefined;
      let sealedLog: SealedLog | undefined;
      if (!cfg.readOnly) {
        await removeStaleSpares(storage)
          .then(() => removeStaleSkippedTmp(storage))
          .then(() => removeStaleSealedTmp(storage))
          .catch((error: unknown) => {
            throw ioError(`removing leftover files of ${storage.description}`, error);
          });
        // Salvage's skipped regions become permanent at once: a later open in any mode must skip
        // them too, whether or not anything is appended before then.
        if (result.regionsChanged) {
          await persistSkippedRegions(storage, result.regions, result.freshRegions).catch((error: unknown) => {
            throw ioError(`recording salvaged regions of ${storage.description}`, error);
          });
        }
        // After salvaged.json: an entry of a damaged segment is dropped only once the damage is recorded.
        if (result.sealed.changed) {
          await writeSealedLog(storage, result.sealed.entries).catch((error: unknown) => {
            throw ioError(`rewriting sealed.log of ${storage.description}`, error);
          });
        }
        sealedLog = new SealedLog(storage, result.sealed.entries, result.sealed.exists || result.sealed.changed);
        const id = last === undefined ? 0 : sealed ? last.id + 1 : last.id;
        const file = await storage.open(segmentName(id), { create: true }).catch((error: unknown) => {
          throw ioError(`opening the active segment of ${storage.description}`, error);
        });
        try {
          let fileSize = sealed ? await file.size() : (last?.fileSize ?? 0);
          const size = sealed ? 0 : (last?.size ?? 0);
          // Only an empty active segment is preallocated here: extending a recovered one would
          // write up to maxSegmentSize of zeros (storage 'zeros' mode) before the first append.
          // It grows with appends; every segment created by a rotation is preallocated.
          if (cfg.preallocate && size === 0 && fileSize < cfg.maxSegmentSize) {
            await file.preallocate(cfg.maxSegmentSize);
            fileSize = cfg.maxSegmentSize;
          }
          // Recovered bytes may still sit in the page cache (os policy + process crash): make
          // them durable so durablePosition tells the truth. A segment gets data only after its
          // predecessor's fsync, so only the last non-empty one can hold unsynced bytes — it may
          // be the one before the active segment when the process died mid-rotation.
          await file.datasync();
          const lastWithData = [...segments].reverse().find((s) => s.size > 0);
          if (lastWithData !== undefined && lastWithData.id !== id) await syncSegment(storage, lastWithData.id);
          // Likewise the directory entry of a segment created just before a crash.
          await storage.syncDir();
          if (last === undefined || sealed) {
            table.add(id, 0, fileSize, true);
          } else {
            table.setSize(id, size, fileSize);
          }
          writer = new Writer(
            {
              storage,
              maxSegmentSize: cfg.maxSegmentSize,
              preallocate: cfg.preallocate,
              policy: cfg.fsync,
              maxQueuedBytes: cfg.maxQueuedBytes,
              maxRecordSize: cfg.maxRecordSize,
              observer: cfg.observer,
              sealed: sealedLog,
            },
            { id, file, size, fileSize, records: sealed ? 0 : (last?.records ?? 0) },
            table,
          );
        } catch (error) {
          await file.close().catch(() => undefined);
          throw ioError(`opening the active segment of ${storage.description}`, error);
        }
      }
      const wal = new Wal(cfg, writer, lock, table, skips, report.lastPosition);
      wal.sealedLog = sealedLog;
      hook(cfg.observer, 'onRecovery')?.(report);
      return { wal, recovery: report };
    } catch (error) {
      await lock?.release().catch(() => undefined);
      throw error;
    }
  }

  /** `'open'`, `'failed'` (after a write/fsync error; reads still work) or `'closed'`. */
  get state(): 'open' | 'failed' | 'closed' {
    if (this.closing !== undefined) return 'closed';
    return this.writer?.failed === undefined ? 'open' : 'failed';
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
    if (this.writer === undefined) throw readOnlyError(what);
    return this.writer;
  }

  /**
   * Appends one record. Resolves with its position once the fsync policy's promise holds
   * (`always` or `durable: true`: fsynced; `batch`/`os`: handed to the OS).
   * @throws WalError `ERR_CLOSED`, `ERR_FAILED`, `ERR_ABORTED`, `ERR_RECORD_TOO_LARGE`, `ERR_READ_ONLY`, `ERR_INVALID_RECORD`,
   * `ERR_INVALID_ARGUMENT` (bad options).
   */
  append(record: RecordInput, options?: AppendOptions): Promise<Position> {
    let writer: Writer;
    let encoded: Uint8Array;
    try {
      writer = this.writerFor('append');
      checkAppendOptions(options);
      encoded = writer.encoder.encode(record);
    } catch (error) {
      return Promise.reject(encodeError(error));
    }
    const durable = options?.durable === true;
    const signal = options?.signal;
    return new Promise<Position>((resolve, reject) => {
      writer.enqueue(new PendingWrite(encoded, undefined, encoded.length, 1, durable, signal, resolve as (v: never) => void, reject));
    });
  }

  /**
   * Appends records as one crash-atomic group: written with one gathered write, never split
   * across segments, and after a crash either all of them or none are recovered.
   * Resolves with one position per record. Rejects like {@link Wal.append}; nothing of the batch
   * is written if any record or option is invalid.
   */
  appendBatch(records: readonly RecordInput[], options?: AppendOptions): Promise<Position[]> {
    let writer: Writer;
    const buffers: Uint8Array[] = [];
    let bytes = 0;
    try {
      writer = this.writerFor('appendBatch');
      checkAppendOptions(options);
      if (!Array.isArray(records)) throw new WalError('ERR_INVALID_RECORD', 'appendBatch expects an array of records');
      for (const record of records) {
        const encoded = writer.encoder.encode(record);
        buffers.push(encoded);
        bytes += encoded.length;
      }
    } catch (error) {
      return Promise.reject(encodeError(error));
    }
    if (buffers.length === 0) return Promise.resolve([]);
    const durable = options?.durable === true;
    const signal = options?.signal;
    return new Promise<Position[]>((resolve, reject) => {
      writer.enqueue(new PendingWrite(undefined, buffers, bytes, buffers.length, durable, signal, resolve as (v: never) => void, reject));
    });
  }

  /** Makes everything appended so far durable; resolves with the durable position. */
  sync(): Promise<Position> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    const writer = this.writer;
    if (writer === undefined) return Promise.resolve({ ...this.readOnlyEnd });
    return new Promise<Position>((resolve, reject) => {
      writer.enqueue(new PendingWrite(undefined, undefined, 0, 0, true, undefined, resolve as (v: never) => void, reject));
    });
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
   * (and later ones) safe from GC while it runs; break out of the loop (or abort) to release it.
   */
  read(options?: ReadOptions): AsyncIterable<WalEntry> {
    return readLog(this.view, options);
  }

  /**
   * Deletes whole segments that end before `position`'s segment, never the active one and never
   * one an open reader or a GC hold ({@link Wal.retain}) still needs; fsyncs the directory after each removal (so a crash leaves
   * a contiguous log). Resolves with the deleted ids.
   */
  deleteSegmentsBefore(position: Position): Promise<number[]> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    if (this.writer === undefined) return Promise.reject(readOnlyError('deleteSegmentsBefore'));
    if (!isPosition(position)) {
      return Promise.reject(new WalError('ERR_INVALID_POSITION', 'position must be { segmentId, offset } with non-negative integers'));
    }
    const run = this.gcChain.then(() => this.collect(position.segmentId));
    this.gcChain = run.catch(() => undefined);
    return run;
  }

  private async collect(before: number): Promise<number[]> {
    const deleted: number[] = [];
    const onDeleted = hook(this.config.observer, 'onSegmentDeleted');
    for (;;) {
      const oldest = this.collectible(before);
      if (oldest === undefined) break;
      // Its sealed.log entry goes first (the file never lists a segment GC removed); a failure
      // there deletes nothing. An entry without its deletion is harmless: recovery ignores
      // entries below the first segment.
      try {
        await this.sealedLog?.forgetBefore(oldest + 1);
      } catch (error) {
        throw ioError(`deleting segment ${segmentName(oldest)}`, error);
      }
      if (this.collectible(before) !== oldest) break;
      const bytes = this.table.fileSizeOf(oldest);
      // Forget it first so no new reader starts on it, then remove and make the removal durable
      // before the next one (a crash never leaves a hole in the middle of the log).
      this.table.remove(oldest);
      try {
        await this.config.storage.remove(segmentName(oldest));
        await this.config.storage.syncDir();
      } catch (error) {
        throw ioError(`deleting segment ${segmentName(oldest)}`, error);
      }
      deleted.push(oldest);
      if (onDeleted !== undefined) onDeleted({ segmentId: oldest, bytes });
    }
    return deleted;
  }

  /** The oldest segment if GC may delete it now (before `before`, not active, no reader or hold on it). */
  private collectible(before: number): number | undefined {
    if (this.closing !== undefined) return undefined;
    const oldest = this.table.ids()[0];
    if (oldest === undefined || oldest >= before || this.table.isActive(oldest)) return undefined;
    let protectedFrom = this.holds.protectedFrom();
    for (const reader of this.readers) protectedFrom = Math.min(protectedFrom, reader.segmentId);
    return oldest < protectedFrom ? oldest : undefined;
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
    const writer = this.writer;
    // A failure already reported to appends before close() is not close()'s to report again;
    // one that breaks close()'s own flush + fsync is.
    const failedBefore = writer?.failed !== undefined;
    let error: WalError | undefined;
    try {
      await this.gcChain;
      await writer?.close();
    } catch (cause) {
      error = ioError('close', cause);
    }
    // An iterator abandoned between two records never runs its cleanup: close its file for it
    // (running readers meet ERR_CLOSED at their next step and close theirs).
    await Promise.all([...this.readers].map((reader) => reader.release()));
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

/** How often a read-only open re-lists a log whose files keep disappearing under it. */
const READ_ONLY_ATTEMPTS = 10;

/**
 * Recovery of a log another process may be writing: a segment it listed can be deleted by that
 * writer's GC before it is opened. That is a race, not a missing log: list again and start over
 * (bounded; `ERR_LOG_CHANGING` when the log keeps changing faster than it can be read).
 */
async function recoverReadOnly(storage: Storage, options: RecoveryOptions): Promise<RecoveryResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recover(storage, options);
    } catch (error) {
      if (errorCode(error) !== 'ERR_NOT_FOUND' || error instanceof WalError) throw error;
      // Throws ERR_NOT_FOUND itself when the directory is what is missing.
      await storage.list();
      if (attempt === READ_ONLY_ATTEMPTS) {
        throw new WalError(
          'ERR_LOG_CHANGING',
          `the log at ${storage.description} kept changing while it was read (files disappeared ${attempt} times); try again`,
          { cause: error },
        );
      }
    }
  }
}

/** fdatasync of one recovered segment. */
async function syncSegment(storage: Storage, id: number): Promise<void> {
  const file = await storage.open(segmentName(id));
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}
