import type { Storage, StorageFile } from '@nori/storage';
import { BatchIntentLog, INTENT_COMPACT_BYTES, type BatchExtent } from './batch-intent.js';
import { WalError, toError } from './errors.js';
import { RecordEncoder } from './encoder.js';
import { hook } from './observer.js';
import type { SealedLog } from './sealed-segments.js';
import type { SequenceIndex } from './sequence-index.js';
import { segmentName } from './segment-name.js';
import { SpareSegment } from './spare-segment.js';
import type { SegmentTable } from './segment-table.js';
import type { AppendResult, FsyncPolicy, Position, WalObserver } from './types.js';

const RESOLVED = Promise.resolve();

/** Background fsync granularity: an eighth of a segment, at least 1 MiB. */
export function bytesPerSync(maxSegmentSize: number): number {
  return Math.max(1024 * 1024, Math.floor(maxSegmentSize / 8));
}
const QUEUED = 0;
const WAITING_ROOM = 1;
const WAITING_SYNC = 2;
const DONE = 3;

/** One `append`, `appendBatch` or `sync` waiting for the writer. */
export class PendingWrite {
  state = QUEUED;
  segmentId = 0;
  offset = 0;
  /** Sequence number of the (first) record, once written. */
  index = 0;
  /** For `sync()` markers: no bytes, resolves with the durable position. */
  readonly marker: boolean;
  abortListener: (() => void) | undefined = undefined;

  constructor(
    /** One encoded record (`append`), or undefined for batches and markers. */
    readonly buffer: Uint8Array | undefined,
    /** Encoded records of an `appendBatch`. */
    readonly buffers: Uint8Array[] | undefined,
    readonly bytes: number,
    readonly records: number,
    readonly durable: boolean,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (value: never) => void,
    readonly reject: (error: Error) => void,
  ) {
    this.marker = buffer === undefined && buffers === undefined;
  }
}

/** What the writer needs to know about the active segment. */
export interface ActiveSegment {
  id: number;
  file: StorageFile;
  /** Logical end: bytes handed to the OS. */
  size: number;
  /** Length of the file on disk (preallocation included). */
  fileSize: number;
  /** Records in it when it became active (recovered ones; 0 for a new segment). */
  records: number;
}

/** Writer options (resolved config subset). */
export interface WriterOptions {
  storage: Storage;
  maxSegmentSize: number;
  preallocate: boolean;
  policy: FsyncPolicy;
  maxQueuedBytes: number;
  maxRecordSize: number;
  observer: WalObserver | undefined;
  /** Receives an entry for every segment rotation seals. */
  sealed: SealedLog | undefined;
  /** Assigns sequence numbers and samples written records. */
  sequence: SequenceIndex;
}

/** What one fdatasync covers (captured when it starts). */
interface FsyncRound {
  file: StorageFile;
  segmentId: number;
  target: number;
  waiters: PendingWrite[];
  bytes: number;
  records: number;
  appends: number;
  started: number;
}

/**
 * The single writer loop (group commit). `append` encodes and enqueues; a flush scheduled by
 * microtask hands everything queued to the OS with one `writevSync`; appends that need
 * durability then wait for one shared `datasync()` (thread pool) while new appends form the next
 * group. Rotation, intent-file syncs and fsyncs are the only asynchronous steps.
 */
export class Writer {
  private readonly storage: Storage;
  private readonly maxSegmentSize: number;
  private readonly preallocate: boolean;
  private readonly alwaysDurable: boolean;
  private readonly batchWindowMs: number;
  /**
   * Unsynced bytes that start a background fsync: the batch policy's `maxBytes`, and at most
   * {@link bytesPerSync} for every policy, so dirty data stays bounded and a rotation never has
   * a whole segment to flush.
   */
  private readonly syncThreshold: number;
  private readonly maxQueuedBytes: number;
  private readonly intent: BatchIntentLog;
  private readonly table: SegmentTable;
  /** Encodes appends (uncompressed records share a slab, see RecordEncoder). */
  readonly encoder: RecordEncoder;
  /** The next segment, prepared in the background once the active one is half full. */
  private readonly spare: SpareSegment | undefined;
  private readonly spareAt: number;

  private readonly onAppend: WalObserver['onAppend'];
  private readonly onFsync: WalObserver['onFsync'];
  private readonly onSegmentRolled: WalObserver['onSegmentRolled'];
  private readonly onFailed: WalObserver['onFailed'];

  private active: ActiveSegment;
  private readonly sealed: SealedLog | undefined;
  private readonly sequence: SequenceIndex;
  /** `appendedRecords` when the active segment became active. */
  private activeFirstRecord = 0;
  /** True while the active segment was created by a rotation and has not been written yet. */
  private freshSegment = false;
  private queue: PendingWrite[] = [];
  private roomWaiters: PendingWrite[] = [];
  private syncWaiters: PendingWrite[] = [];
  private readonly iov: Uint8Array[] = [];
  private flushScheduled = false;
  private busy = false;
  private syncing: Promise<void> | undefined;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private failure: WalError | undefined;
  /**
   * Set once an fdatasync of a segment failed: its dirty pages may be gone (fsyncgate), so no
   * segment is ever fsynced again by this writer: a second fsync could report success for lost data.
   */
  private segmentSyncFailed = false;
  /** The one fsync after a failure that was not a segment fsync (see {@link Writer.syncAfterFailure}). */
  private finalSync: Promise<void> | undefined;
  private writeWaiters: (() => void)[] = [];

  private durableSegment: number;
  private durableOffset: number;
  private unsyncedBytes = 0;
  private unsyncedRecords = 0;
  private unsyncedAppends = 0;
  private firstUnsyncedAt = 0;

  /** Encoded bytes waiting to be written. */
  queuedBytes = 0;
  /** Records accepted but not yet written, aborted or failed (the index overflow check counts them). */
  pendingRecords = 0;
  appendedRecords = 0;
  appendedBytes = 0;
  fsyncs = 0;

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.drain();
  };

  constructor(options: WriterOptions, active: ActiveSegment, table: SegmentTable) {
    this.storage = options.storage;
    this.maxSegmentSize = options.maxSegmentSize;
    this.preallocate = options.preallocate;
    this.alwaysDurable = options.policy.kind === 'always';
    this.batchWindowMs = options.policy.kind === 'batch' ? options.policy.windowMs : 0;
    const batchMaxBytes = options.policy.kind === 'batch' ? (options.policy.maxBytes ?? Infinity) : Infinity;
    this.syncThreshold = Math.min(batchMaxBytes, bytesPerSync(options.maxSegmentSize));
    this.maxQueuedBytes = options.maxQueuedBytes;
    this.intent = new BatchIntentLog(options.storage);
    this.table = table;
    this.encoder = new RecordEncoder(options.maxRecordSize);
    this.spare = options.preallocate ? new SpareSegment(options.storage, options.maxSegmentSize) : undefined;
    this.spareAt = this.spare === undefined ? Infinity : options.maxSegmentSize / 2;
    this.onAppend = hook(options.observer, 'onAppend');
    this.onFsync = hook(options.observer, 'onFsync');
    this.onSegmentRolled = hook(options.observer, 'onSegmentRolled');
    this.onFailed = hook(options.observer, 'onFailed');
    this.active = active;
    this.sealed = options.sealed;
    this.sequence = options.sequence;
    this.durableSegment = active.id;
    this.durableOffset = active.size;
  }

  /** Position just after the last byte handed to the OS. */
  get writtenPosition(): Position {
    return { segmentId: this.active.id, offset: this.active.size };
  }

  /** Position just after the last fsynced byte. */
  get durablePosition(): Position {
    return { segmentId: this.durableSegment, offset: this.durableOffset };
  }

  /** The error that failed the WAL, if any. */
  get failed(): WalError | undefined {
    return this.failure;
  }

  /** Hands a pending write to the writer (or to the backpressure wait list). */
  enqueue(p: PendingWrite): void {
    if (this.failure !== undefined) {
      p.state = DONE;
      p.reject(this.failure);
      return;
    }
    const signal = p.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        p.state = DONE;
        p.reject(abortError(signal));
        return;
      }
      const listener = (): void => this.abort(p);
      p.abortListener = listener;
      signal.addEventListener('abort', listener, { once: true });
    }
    this.pendingRecords += p.records;
    if (this.roomWaiters.length > 0 || (this.queuedBytes > 0 && this.queuedBytes + p.bytes > this.maxQueuedBytes)) {
      p.state = WAITING_ROOM;
      this.roomWaiters.push(p);
      return;
    }
    this.admit(p);
  }

  private admit(p: PendingWrite): void {
    p.state = QUEUED;
    this.queue.push(p);
    this.queuedBytes += p.bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // A resolved promise's then() is the cheapest microtask (queueMicrotask wraps its callback).
      void RESOLVED.then(this.flushTask);
    }
  }

  private abort(p: PendingWrite): void {
    if (p.state === QUEUED) {
      const index = this.queue.indexOf(p);
      if (index >= 0) this.queue.splice(index, 1);
      this.queuedBytes -= p.bytes;
      this.admitWaiters();
    } else if (p.state === WAITING_ROOM) {
      const index = this.roomWaiters.indexOf(p);
      if (index >= 0) this.roomWaiters.splice(index, 1);
      this.admitWaiters();
    } else {
      return;
    }
    p.state = DONE;
    p.abortListener = undefined;
    this.pendingRecords -= p.records;
    p.reject(abortError(p.signal as AbortSignal));
  }

  private admitWaiters(): void {
    while (this.roomWaiters.length > 0) {
      const next = this.roomWaiters[0] as PendingWrite;
      if (this.queuedBytes > 0 && this.queuedBytes + next.bytes > this.maxQueuedBytes) return;
      this.roomWaiters.shift();
      this.admit(next);
    }
  }

  /** Writes everything queued: synchronous unless a rotation or an intent fsync is needed. */
  private drain(): void {
    while (this.queue.length > 0 && !this.busy && this.failure === undefined) {
      const queue = this.queue;
      const active = this.active;
      let runBytes = 0;
      let count = 0;
      let rotate = false;
      let batches = false;
      for (; count < queue.length; count++) {
        const p = queue[count] as PendingWrite;
        if (p.bytes > 0) {
          // Rust nori-wal's rule: rotate when the record would push the segment past the limit
          // (even an empty one), then write it into the new segment whatever its size.
          const fresh = this.freshSegment && runBytes === 0;
          if (!fresh && active.size + runBytes + p.bytes > this.maxSegmentSize) {
            rotate = true;
            break;
          }
          if (p.records > 1) batches = true;
        }
        runBytes += p.bytes;
      }
      if (count > 0) {
        const run = count === queue.length ? queue : queue.splice(0, count);
        if (run === queue) this.queue = [];
        if (batches) {
          // startSync() is a no-op while busy: a stream of batches would keep every fsync waiting.
          this.syncOrSchedule();
          this.busy = true;
          this.writeWithIntent(run, runBytes).then(
            () => {
              this.busy = false;
              this.drain();
            },
            (error: unknown) => {
              this.busy = false;
              this.fail(error, run);
            },
          );
          return;
        }
        this.writeRun(run, count, runBytes);
        if (this.failure !== undefined) return;
      }
      if (rotate) {
        this.busy = true;
        this.rotate().then(
          () => {
            this.busy = false;
            this.drain();
          },
          (error: unknown) => {
            this.busy = false;
            this.fail(error);
          },
        );
        return;
      }
    }
    if (this.failure !== undefined) return;
    if (!this.busy && this.queue.length === 0 && this.roomWaiters.length === 0) this.encoder.recycle();
    this.syncOrSchedule();
  }

  /**
   * Starts an fsync when waiters need one or unsynced bytes reached the threshold, else arms the
   * batch timer. Called whenever the writer becomes idle: after a drain and after every fsync
   * round, since bytes written during a round may already be past `maxBytes`.
   */
  private syncOrSchedule(): void {
    if (this.syncWaiters.length > 0 || this.unsyncedBytes >= this.syncThreshold) this.startSync();
    else if (this.batchWindowMs > 0 && this.unsyncedBytes > 0 && this.batchTimer === undefined) {
      // A timer that fired while the writer was busy did nothing: the window may be over already.
      if (performance.now() - this.firstUnsyncedAt >= this.batchWindowMs) this.startSync();
      else this.scheduleBatchSync();
    }
  }

  /** Records the extents of multi-record batches in the intent file, then writes the run. */
  private async writeWithIntent(run: PendingWrite[], runBytes: number): Promise<void> {
    // From here on the run is committed: an abort must not leave a hole inside recorded extents.
    for (const p of run) this.detachAbort(p);
    if (this.intent.pendingCount > 0 && this.intent.bytes > INTENT_COMPACT_BYTES) {
      await this.syncNow();
    }
    const extents: BatchExtent[] = [];
    let offset = this.active.size;
    for (const p of run) {
      if (p.records > 1) extents.push({ segmentId: this.active.id, start: offset, end: offset + p.bytes });
      offset += p.bytes;
    }
    await this.intent.record(extents);
    if (this.failure !== undefined) {
      for (const p of run) this.settleFailed(p);
      return;
    }
    this.writeRun(run, run.length, runBytes);
  }

  private detachAbort(p: PendingWrite): void {
    if (p.abortListener !== undefined && p.signal !== undefined) {
      p.signal.removeEventListener('abort', p.abortListener);
      p.abortListener = undefined;
    }
    if (p.state === QUEUED) p.state = WAITING_SYNC;
  }

  /** One gathered write of `run[0..count)`; acknowledges what needs no fsync. */
  private writeRun(run: PendingWrite[], count: number, runBytes: number): void {
    const active = this.active;
    const iov = this.iov;
    // Records encoded back to back in the slab are one contiguous region: one iovec for them.
    let region: Uint8Array | undefined;
    let regionEnd = 0;
    let regionLength = 0;
    for (let i = 0; i < count; i++) {
      const p = run[i] as PendingWrite;
      const single = p.buffer;
      const many = p.buffers;
      const n = single !== undefined ? 1 : many !== undefined ? many.length : 0;
      for (let j = 0; j < n; j++) {
        const b = single !== undefined ? single : (many as Uint8Array[])[j] as Uint8Array;
        if (region !== undefined && b.buffer === region.buffer && b.byteOffset === regionEnd) {
          regionEnd += b.length;
          regionLength += b.length;
          continue;
        }
        if (region !== undefined) iov.push(regionOf(region, regionLength));
        region = b;
        regionEnd = b.byteOffset + b.length;
        regionLength = b.length;
      }
    }
    if (region !== undefined) iov.push(regionOf(region, regionLength));
    const start = active.size;
    if (iov.length > 0) {
      try {
        active.file.writevSync(iov, start);
      } catch (error) {
        iov.length = 0;
        // A failed write may have left part of the run on disk: fail the WAL (see README).
        this.fail(error, run.slice(0, count));
        return;
      }
      iov.length = 0;
    }
    let offset = start;
    let records = 0;
    let appends = 0;
    const segmentId = active.id;
    for (let i = 0; i < count; i++) {
      const p = run[i] as PendingWrite;
      p.segmentId = segmentId;
      p.offset = offset;
      offset += p.bytes;
      this.queuedBytes -= p.bytes;
      if (p.abortListener !== undefined) {
        (p.signal as AbortSignal).removeEventListener('abort', p.abortListener);
        p.abortListener = undefined;
      }
      if (p.marker) {
        p.state = WAITING_SYNC;
        this.syncWaiters.push(p);
        continue;
      }
      records += p.records;
      appends++;
      this.pendingRecords -= p.records;
      p.index = this.noteRecords(p, segmentId);
      if (this.onAppend !== undefined) this.onAppend({ records: p.records, bytes: p.bytes, batch: p.buffers !== undefined });
      if (p.durable || this.alwaysDurable) {
        p.state = WAITING_SYNC;
        this.syncWaiters.push(p);
      } else {
        p.state = DONE;
        p.resolve(positionsOf(p) as never);
      }
    }
    if (runBytes > 0) {
      if (this.unsyncedBytes === 0) this.firstUnsyncedAt = performance.now();
      active.size = offset;
      this.freshSegment = false;
      this.unsyncedBytes += runBytes;
      this.unsyncedRecords += records;
      this.unsyncedAppends += appends;
      this.appendedRecords += records;
      this.appendedBytes += runBytes;
      this.table.setSize(segmentId, offset, Math.max(active.fileSize, offset));
      if (offset > active.fileSize) active.fileSize = offset;
      if (offset >= this.spareAt) this.spare?.prepare(segmentId + 1);
      this.notifyWrite();
      if (this.unsyncedBytes >= this.syncThreshold) this.startSync();
    }
    this.admitWaiters();
  }

  private scheduleBatchSync(): void {
    if (this.batchTimer !== undefined || this.syncing !== undefined) return;
    const delay = Math.max(0, this.firstUnsyncedAt + this.batchWindowMs - performance.now());
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      this.startSync();
    }, delay);
  }

  /** Starts one shared fdatasync for everything written so far (no-op if one is running). */
  private startSync(): void {
    if (this.syncing !== undefined || this.failure !== undefined || this.busy) return;
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (this.nothingToSync()) {
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const p of waiters) this.settleDurable(p);
      return;
    }
    const round = this.beginFsync();
    this.syncing = round.file.datasync().then(
      () => {
        this.syncing = undefined;
        this.endFsync(round, undefined);
        // While busy, the rotation or intent write calls drain() when it ends, which decides.
        if (this.failure !== undefined || this.busy) return;
        this.syncOrSchedule();
      },
      (error: unknown) => {
        this.syncing = undefined;
        this.endFsync(round, error);
      },
    );
  }

  /** Waits for any running fsync, then fsyncs everything written (used by rotation and compaction). */
  private async syncNow(force = false): Promise<void> {
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
    if (!force && this.nothingToSync()) return;
    const round = this.beginFsync();
    try {
      await round.file.datasync();
    } catch (error) {
      this.endFsync(round, error);
      throw this.failure ?? error;
    }
    this.endFsync(round, undefined);
    if (this.failure !== undefined) throw this.failure;
  }

  /** True when every byte written to the active segment is already durable. */
  private nothingToSync(): boolean {
    const active = this.active;
    return this.unsyncedBytes === 0 && this.durableSegment === active.id && this.durableOffset >= active.size;
  }

  /** Captures what an fdatasync about to start covers: its waiters, counters and target. */
  private beginFsync(): FsyncRound {
    const active = this.active;
    const round: FsyncRound = {
      file: active.file,
      segmentId: active.id,
      target: active.size,
      waiters: this.syncWaiters,
      bytes: this.unsyncedBytes,
      records: this.unsyncedRecords,
      appends: this.unsyncedAppends,
      started: performance.now(),
    };
    this.syncWaiters = [];
    this.unsyncedBytes = 0;
    this.unsyncedRecords = 0;
    this.unsyncedAppends = 0;
    return round;
  }

  /** Reports a finished fdatasync and settles its waiters (failed if the WAL failed meanwhile). */
  private endFsync(round: FsyncRound, error: unknown): void {
    const ok = error === undefined;
    if (ok) this.fsyncs++;
    if (this.onFsync !== undefined) {
      const { bytes, records, appends } = round;
      this.onFsync({ durationMs: performance.now() - round.started, bytes, records, appends, ok });
    }
    if (!ok) {
      // Never retry an fsync (fsyncgate): the kernel may have dropped the dirty pages.
      this.segmentSyncFailed = true;
      this.fail(error, round.waiters);
      return;
    }
    // The bytes are durable even if a later write failed meanwhile: its waiters may resolve.
    this.markDurable(round.segmentId, round.target);
    for (const p of round.waiters) this.settleDurable(p);
  }

  private markDurable(segmentId: number, offset: number): void {
    if (segmentId > this.durableSegment || (segmentId === this.durableSegment && offset > this.durableOffset)) {
      this.durableSegment = segmentId;
      this.durableOffset = offset;
    }
    this.intent.markDurable(segmentId, offset);
  }

  private settleDurable(p: PendingWrite): void {
    if (p.state === DONE) return;
    p.state = DONE;
    if (p.marker) p.resolve(this.durablePosition as never);
    else p.resolve(positionsOf(p) as never);
  }

  private settleFailed(p: PendingWrite): void {
    if (p.state === DONE) return;
    p.state = DONE;
    p.reject(this.failure ?? new WalError('ERR_FAILED', 'the WAL failed'));
  }

  /**
   * Finishes the active segment (fsync, trim the preallocated tail) and opens the next one.
   * Everything queued waits meanwhile.
   */
  private async rotate(): Promise<void> {
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
    const previous = this.active;
    if (previous.fileSize > previous.size) {
      // Trim the preallocated tail; the fsync below makes data and length durable together.
      await previous.file.truncate(previous.size);
      previous.fileSize = previous.size;
    }
    const nextId = previous.id + 1;
    // The finished segment's fsync and the next segment's rename (or creation) overlap. Nothing
    // is written to the next segment before both and the directory fsync are done, so a crash in
    // between leaves at most a torn tail followed by an empty segment: a plain torn tail for
    // recovery. (Writing into the next segment while the old fsync still runs is not safe; see
    // the README, "Rotation".)
    const [synced, created] = await Promise.allSettled([
      this.syncNow(true),
      (async () => (await this.spare?.take(nextId)) ?? (await this.createSegment(nextId)))(),
    ]);
    if (synced.status === 'rejected' || created.status === 'rejected') {
      if (created.status === 'fulfilled') await created.value.file.close().catch(() => undefined);
      throw synced.status === 'rejected' ? synced.reason : (created as PromiseRejectedResult).reason;
    }
    const { file, fileSize } = created.value;
    try {
      await this.storage.syncDir();
      // Before the next segment gets data, and after it exists (see sealed-segments.ts).
      const records = previous.records + this.appendedRecords - this.activeFirstRecord;
      await this.sealed?.seal(previous.file, previous.id, previous.size, records);
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
    await previous.file.close();
    this.table.finish(previous.id, previous.size);
    this.active = { id: nextId, file, size: 0, fileSize, records: 0 };
    this.activeFirstRecord = this.appendedRecords;
    this.table.add(nextId, 0, fileSize, true);
    this.sequence.addSegment(nextId, this.sequence.nextIndex);
    this.freshSegment = true;
    this.markDurable(nextId, 0);
    if (this.onSegmentRolled !== undefined) {
      this.onSegmentRolled({ segmentId: nextId, previousSegmentId: previous.id, previousSize: previous.size });
    }
    this.notifyWrite();
  }

  /** Creates (and preallocates) segment `id` in the foreground. */
  private async createSegment(id: number): Promise<{ file: StorageFile; fileSize: number }> {
    const file = await this.storage.open(segmentName(id), { create: true });
    try {
      let fileSize = await file.size();
      if (fileSize > 0) {
        // A leftover file with this id (never expected: recovery quarantines later segments).
        await file.truncate(0);
        fileSize = 0;
      }
      if (this.preallocate) {
        await file.preallocate(this.maxSegmentSize);
        await file.datasync();
        fileSize = this.maxSegmentSize;
      }
      return { file, fileSize };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Enters the failed state: every queued and later append is rejected with `ERR_FAILED`
   * (cause = `error`); nothing not synced is ever acknowledged as durable. Bytes written before
   * the failure get one last fsync unless a segment fsync failed (see syncAfterFailure).
   */
  fail(error: unknown, inFlight: PendingWrite[] = []): void {
    if (this.failure !== undefined) {
      for (const p of inFlight) this.settleFailed(p);
      return;
    }
    const cause = toError(error);
    this.failure =
      cause instanceof WalError && cause.code === 'ERR_FAILED'
        ? cause
        : new WalError('ERR_FAILED', `the WAL failed and accepts no more writes: ${cause.message}`, { cause });
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    // syncWaiters stay: their bytes were written, the final fsync decides whether they resolve.
    const pending = [...inFlight, ...this.queue, ...this.roomWaiters];
    this.queue = [];
    this.roomWaiters = [];
    this.queuedBytes = 0;
    this.pendingRecords = 0;
    for (const p of pending) {
      if (p.abortListener !== undefined && p.signal !== undefined) {
        p.signal.removeEventListener('abort', p.abortListener);
        p.abortListener = undefined;
      }
      this.settleFailed(p);
    }
    if (this.onFailed !== undefined) this.onFailed({ error: this.failure });
    this.notifyWrite();
    this.finalSync = this.syncAfterFailure();
  }

  /**
   * The fsyncgate rule forbids retrying a failed fsync, not syncing what was written before a
   * failed write: after a failed write, intent write or rotation step, bytes acknowledged under
   * `batch`/`os` get exactly one fdatasync at once (not at the end of the window), so they are
   * durable within the window as promised. Waiters whose bytes it covers resolve; every other
   * one rejects. Skipped after a failed segment fsync, and never retried.
   */
  private async syncAfterFailure(): Promise<void> {
    // A round in flight ends first (its handlers never reject); it may fail and forbid ours.
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    if (!this.segmentSyncFailed && !this.nothingToSync()) {
      const round = this.beginFsync();
      let error: Error | undefined;
      try {
        await round.file.datasync();
      } catch (cause) {
        error = toError(cause);
      }
      this.endFsync(round, error);
    }
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const p of waiters) {
      if (this.isDurable(p)) this.settleDurable(p);
      else this.settleFailed(p);
    }
  }

  /** True when `p`'s bytes (or, for a `sync()` marker, everything before it) are durable. */
  private isDurable(p: PendingWrite): boolean {
    const end = p.offset + p.bytes;
    return p.segmentId < this.durableSegment || (p.segmentId === this.durableSegment && end <= this.durableOffset);
  }

  /** Gives the records of a written append their indexes (and samples them); returns the first. */
  private noteRecords(p: PendingWrite, segmentId: number): number {
    const many = p.buffers;
    if (many === undefined) return this.sequence.noteAppend(segmentId, p.offset);
    let offset = p.offset;
    const first = this.sequence.nextIndex;
    for (const b of many) {
      this.sequence.noteAppend(segmentId, offset);
      offset += b.length;
    }
    return first;
  }

  /** Resolves at the next write, rotation or failure (follow readers). */
  waitForWrite(): Promise<void> {
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  /** Wakes every waiting reader. */
  notifyWrite(): void {
    if (this.writeWaiters.length === 0) return;
    const waiters = this.writeWaiters;
    this.writeWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Flushes and fsyncs everything accepted so far, trims the preallocated tail and closes the
   * files. In the failed state it only waits for the one fsync after the failure (if any), then
   * closes the files.
   */
  async close(): Promise<void> {
    if (this.failure === undefined) {
      await new Promise<Position>((resolve, reject) => {
        this.enqueue(new PendingWrite(undefined, undefined, 0, 0, true, undefined, resolve, reject));
      }).catch(() => undefined);
    }
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    // The close marker itself may have failed the WAL, so read the field only now.
    await this.finalSync;
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    const active = this.active;
    try {
      if (this.failure === undefined && active.fileSize > active.size) {
        await active.file.truncate(active.size);
        await active.file.datasync();
        active.fileSize = active.size;
        this.table.setSize(active.id, active.size, active.size);
      }
      await this.intent.close(this.failure === undefined);
    } finally {
      await this.spare?.discard();
      await active.file.close();
      this.notifyWrite();
    }
  }
}

/** `length` bytes of `first`'s buffer starting where `first` starts. */
function regionOf(first: Uint8Array, length: number): Uint8Array {
  return first.length === length ? first : new Uint8Array(first.buffer, first.byteOffset, length);
}

function abortError(signal: AbortSignal): WalError {
  return new WalError('ERR_ABORTED', 'append aborted before the record was written', { cause: signal.reason });
}

/** The resolution value of a written append: one result, or one per record of a batch. */
function positionsOf(p: PendingWrite): AppendResult | AppendResult[] {
  if (p.buffers === undefined) return { index: p.index, position: { segmentId: p.segmentId, offset: p.offset } };
  const results: AppendResult[] = new Array<AppendResult>(p.buffers.length);
  let offset = p.offset;
  for (let i = 0; i < p.buffers.length; i++) {
    results[i] = { index: p.index + i, position: { segmentId: p.segmentId, offset } };
    offset += (p.buffers[i] as Uint8Array).length;
  }
  return results;
}
