import type { Storage } from '@nori/storage';
import { AppendQueue } from './append-queue.js';
import { BatchIntentLog, INTENT_COMPACT_BYTES, type BatchExtent } from './batch-intent.js';
import type { WalError } from './errors.js';
import { gather } from './gather.js';
import { RecordEncoder } from './encoder.js';
import { GroupCommit } from './group-commit.js';
import { hook } from './observer.js';
import { detachAbort, DONE, QUEUED, WAITING_SYNC, syncMarker, type PendingWrite } from './pending-write.js';
import type { SealedLog } from './sealed-segments.js';
import type { SequenceIndex } from './sequence-index.js';
import { SegmentFiles, type ActiveSegment } from './segment-files.js';
import type { SegmentTable } from './segment-table.js';
import type { FsyncPolicy, Position, WalObserver } from './types.js';

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

/**
 * The single writer loop. `append` encodes and enqueues ({@link AppendQueue}); a flush
 * scheduled by microtask hands everything queued to the OS with one `writevSync`; appends that
 * need durability then wait for one shared `datasync()` ({@link GroupCommit}) while new appends
 * form the next group. Rotation ({@link SegmentFiles}), intent-file syncs and fsyncs are the only
 * asynchronous steps.
 */
export class Writer {
  private readonly maxSegmentSize: number;
  private readonly storage: Storage;
  private readonly intent: BatchIntentLog;
  private readonly table: SegmentTable;
  /** Encodes appends (uncompressed records share a slab, see RecordEncoder). */
  readonly encoder: RecordEncoder;
  private readonly queue: AppendQueue;
  private readonly commit: GroupCommit;
  private readonly files: SegmentFiles;

  private readonly onAppend: WalObserver['onAppend'];
  private readonly onSegmentRolled: WalObserver['onSegmentRolled'];
  private readonly onFailed: WalObserver['onFailed'];

  private active: ActiveSegment;
  private readonly sealed: SealedLog | undefined;
  private readonly sequence: SequenceIndex;
  /** `appendedRecords` when the active segment became active. */
  private activeFirstRecord = 0;
  /** True while the active segment was created by a rotation and has not been written yet. */
  private freshSegment = false;
  private readonly iov: Uint8Array[] = [];
  private busy = false;
  /** What {@link Writer.nextRun} found (reused: drain runs once per microtask). */
  private readonly scan = { runBytes: 0, rotate: false, batches: false };
  private writeWaiters: (() => void)[] = [];

  appendedRecords = 0;
  appendedBytes = 0;

  constructor(options: WriterOptions, active: ActiveSegment, table: SegmentTable) {
    this.storage = options.storage;
    this.maxSegmentSize = options.maxSegmentSize;
    this.intent = new BatchIntentLog(options.storage);
    this.table = table;
    this.encoder = new RecordEncoder(options.maxRecordSize);
    this.queue = new AppendQueue(options.maxQueuedBytes, () => this.drain());
    const host = { active: () => this.active, busy: () => this.busy, fail: (e: unknown, w: PendingWrite[]) => this.fail(e, w) };
    this.commit = new GroupCommit({ ...options, intent: this.intent }, host, { segmentId: active.id, offset: active.size });
    this.files = new SegmentFiles(options);
    this.onAppend = hook(options.observer, 'onAppend');
    this.onSegmentRolled = hook(options.observer, 'onSegmentRolled');
    this.onFailed = hook(options.observer, 'onFailed');
    this.active = active;
    this.sealed = options.sealed;
    this.sequence = options.sequence;
  }

  /** Position just after the last byte handed to the OS. */
  get writtenPosition(): Position {
    return { segmentId: this.active.id, offset: this.active.size };
  }

  /** Position just after the last fsynced byte. */
  get durablePosition(): Position {
    return this.commit.durablePosition;
  }

  /** The error that failed the WAL, if any. */
  get failed(): WalError | undefined {
    return this.commit.failure;
  }

  /** Encoded bytes waiting to be written. */
  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  /** Records accepted but not yet written, aborted or failed (the index overflow check counts them). */
  get pendingRecords(): number {
    return this.queue.pendingRecords;
  }

  /** Successful fdatasyncs of segments. */
  get fsyncs(): number {
    return this.commit.fsyncs;
  }

  /** Hands a pending write to the writer (or to the backpressure wait list). */
  enqueue(p: PendingWrite): void {
    const failure = this.commit.failure;
    if (failure !== undefined) {
      p.state = DONE;
      p.reject(failure);
      return;
    }
    this.queue.enqueue(p);
  }
  /** Writes everything queued: synchronous unless a rotation or an intent fsync is needed. */
  private drain(): void {
    const queue = this.queue;
    while (queue.items.length > 0 && !this.busy && this.commit.failure === undefined) {
      const count = this.nextRun();
      const { runBytes, rotate, batches } = this.scan;
      if (count > 0) {
        const run = queue.take(count);
        if (batches) {
          // startSync() is a no-op while busy: a stream of batches would keep every fsync waiting.
          this.commit.syncOrSchedule();
          this.runBusy(this.writeWithIntent(run, runBytes), run);
          return;
        }
        this.writeRun(run, count, runBytes);
        if (this.commit.failure !== undefined) return;
      }
      if (rotate) {
        this.runBusy(this.rotate(), []);
        return;
      }
    }
    if (this.commit.failure !== undefined) return;
    if (!this.busy && queue.empty) this.encoder.recycle();
    this.commit.syncOrSchedule();
  }

  /**
   * Counts the queued writes that fit in the active segment; {@link Writer.scan} gets their
   * bytes, whether a rotation must follow and whether any is a multi-record batch.
   */
  private nextRun(): number {
    const items = this.queue.items;
    const active = this.active;
    let runBytes = 0;
    let count = 0;
    let rotate = false;
    let batches = false;
    for (; count < items.length; count++) {
      const p = items[count] as PendingWrite;
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
    const scan = this.scan;
    scan.runBytes = runBytes;
    scan.rotate = rotate;
    scan.batches = batches;
    return count;
  }

  /** Runs an asynchronous step (rotation, intent write) with the writer busy, then drains again. */
  private runBusy(step: Promise<void>, inFlight: PendingWrite[]): void {
    this.busy = true;
    step.then(
      () => {
        this.busy = false;
        this.drain();
      },
      (error: unknown) => {
        this.busy = false;
        this.fail(error, inFlight);
      },
    );
  }

  /** Records the extents of multi-record batches in the intent file, then writes the run. */
  private async writeWithIntent(run: PendingWrite[], runBytes: number): Promise<void> {
    // From here on the run is committed: an abort must not leave a hole inside recorded extents.
    for (const p of run) {
      detachAbort(p);
      if (p.state === QUEUED) p.state = WAITING_SYNC;
    }
    if (this.intent.pendingCount > 0 && this.intent.bytes > INTENT_COMPACT_BYTES) {
      await this.commit.syncNow({ force: false });
    }
    const extents: BatchExtent[] = [];
    let offset = this.active.size;
    for (const p of run) {
      if (p.records > 1) extents.push({ segmentId: this.active.id, start: offset, end: offset + p.bytes });
      offset += p.bytes;
    }
    await this.intent.record(extents);
    if (this.commit.failure !== undefined) {
      for (const p of run) this.commit.settleFailed(p);
      return;
    }
    this.writeRun(run, run.length, runBytes);
  }

  /** One gathered write of `run[0..count)`; acknowledges what needs no fsync. */
  private writeRun(run: PendingWrite[], count: number, runBytes: number): void {
    const iov = gather(run, count, this.iov);
    if (iov.length > 0) {
      try {
        this.active.file.writevSync(iov, this.active.size);
      } catch (error) {
        iov.length = 0;
        // A failed write may have left part of the run on disk: fail the WAL (see README).
        this.fail(error, run.slice(0, count));
        return;
      }
      iov.length = 0;
    }
    this.settleRun(run, count, runBytes);
    this.queue.admitWaiters();
  }

  /** After the write of `run[0..count)`: positions, indexes, acknowledgements, counters. */
  private settleRun(run: PendingWrite[], count: number, runBytes: number): void {
    const active = this.active;
    const queue = this.queue;
    const commit = this.commit;
    let offset = active.size;
    let records = 0;
    let appends = 0;
    const segmentId = active.id;
    for (let i = 0; i < count; i++) {
      const p = run[i] as PendingWrite;
      p.segmentId = segmentId;
      p.offset = offset;
      offset += p.bytes;
      queue.queuedBytes -= p.bytes;
      detachAbort(p);
      if (p.kind !== 'sync') {
        records += p.records;
        appends++;
        queue.pendingRecords -= p.records;
        p.index = this.noteRecords(p, segmentId);
        if (this.onAppend !== undefined) this.onAppend({ records: p.records, bytes: p.bytes, batch: p.kind === 'batch' });
      }
      commit.written(p);
    }
    if (runBytes === 0) return;
    active.size = offset;
    this.freshSegment = false;
    this.appendedRecords += records;
    this.appendedBytes += runBytes;
    this.table.setSize(segmentId, offset, Math.max(active.fileSize, offset));
    if (offset > active.fileSize) active.fileSize = offset;
    this.files.grew(segmentId, offset);
    this.notifyWrite();
    commit.noteUnsynced(runBytes, records, appends);
  }

  /**
   * Finishes the active segment (fsync, trim the preallocated tail) and opens the next one.
   * Everything queued waits meanwhile.
   */
  private async rotate(): Promise<void> {
    await this.commit.idle();
    if (this.commit.failure !== undefined) throw this.commit.failure;
    const previous = this.active;
    // Trim the preallocated tail; the fsync below makes data and length durable together.
    await this.files.trim(previous);
    const nextId = previous.id + 1;
    // The finished segment's fsync and the next segment's rename (or creation) overlap. Nothing
    // is written to the next segment before both and the directory fsync are done, so a crash in
    // between leaves at most a torn tail followed by an empty segment: a plain torn tail for
    // recovery. (Writing into the next segment while the old fsync still runs is not safe; see
    // the README, "Rotation".)
    const [synced, created] = await Promise.allSettled([this.commit.syncNow({ force: true }), this.files.next(nextId)]);
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
    this.table.add({ id: nextId, size: 0, fileSize, active: true });
    this.sequence.addSegment(nextId, this.sequence.nextIndex);
    this.freshSegment = true;
    this.commit.markDurable(nextId, 0);
    if (this.onSegmentRolled !== undefined) {
      this.onSegmentRolled({ segmentId: nextId, previousSegmentId: previous.id, previousSize: previous.size });
    }
    this.notifyWrite();
  }

  /**
   * Enters the failed state: every queued and later append is rejected with `ERR_FAILED`
   * (cause = `error`); nothing not synced is ever acknowledged as durable. Bytes written before
   * the failure get one last fsync unless a segment fsync failed (see GroupCommit).
   */
  fail(error: unknown, inFlight: PendingWrite[] = []): void {
    const commit = this.commit;
    if (!commit.enterFailed(error)) {
      for (const p of inFlight) commit.settleFailed(p);
      return;
    }
    const pending = [...inFlight, ...this.queue.clear()];
    for (const p of pending) {
      detachAbort(p);
      commit.settleFailed(p);
    }
    if (this.onFailed !== undefined) this.onFailed({ error: commit.failure as WalError });
    this.notifyWrite();
    commit.startFinalSync();
  }

  /** Gives the records of a written append their indexes (and samples them); returns the first. */
  private noteRecords(p: PendingWrite, segmentId: number): number {
    if (p.kind !== 'batch') return this.sequence.noteAppend(segmentId, p.offset);
    let offset = p.offset;
    const first = this.sequence.nextIndex;
    for (const b of p.buffers) {
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
    if (this.commit.failure === undefined) {
      await new Promise<Position>((resolve, reject) => this.enqueue(syncMarker({ resolve, reject }))).catch(() => undefined);
    }
    await this.commit.settle();
    const active = this.active;
    try {
      if (this.commit.failure === undefined && active.fileSize > active.size) {
        await this.files.trim(active);
        await active.file.datasync();
        this.table.setSize(active.id, active.size, active.size);
      }
      await this.intent.close({ clear: this.commit.failure === undefined });
    } finally {
      await this.files.close(active);
      this.notifyWrite();
    }
  }
}
