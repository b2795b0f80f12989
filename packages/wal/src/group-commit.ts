import type { StorageFile } from '@nori/storage';
import type { BatchIntentLog } from './batch-intent.js';
import { monotonicMs } from './clock.js';
import { WalError, toError } from './errors.js';
import { hook } from './observer.js';
import { DONE, WAITING_SYNC, positionsOf, type PendingWrite } from './pending-write.js';
import type { ActiveSegment } from './segment-files.js';
import type { FsyncPolicy, Position, WalObserver } from './types.js';

/** Background fsync granularity: an eighth of a segment, at least 1 MiB. */
export function bytesPerSync(maxSegmentSize: number): number {
  return Math.max(1024 * 1024, Math.floor(maxSegmentSize / 8));
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

/** Group-commit options (resolved config subset). */
export interface GroupCommitOptions {
  policy: FsyncPolicy;
  maxSegmentSize: number;
  observer: WalObserver | undefined;
  /** Learns every durable position (it forgets batch extents below it). */
  intent: BatchIntentLog;
}

/** What group commit asks of the writer. */
export interface CommitHost {
  /** The segment being written. */
  active(): ActiveSegment;
  /** True while a rotation or an intent write runs: it decides when it ends. */
  busy(): boolean;
  /** Fails the WAL; `inFlight` are writes no list holds any more. */
  fail(error: unknown, inFlight: PendingWrite[]): void;
}

/**
 * Group commit: appends that need durability wait for one shared `datasync()` (a round) while
 * new appends form the next group. Owns the batch timer, the durable watermark and the failed
 * state (after a failed segment fsync nothing is ever fsynced again: fsyncgate).
 */
export class GroupCommit {
  private readonly alwaysDurable: boolean;
  private readonly batchWindowMs: number;
  /**
   * Unsynced bytes that start a background fsync: the batch policy's `maxBytes`, and at most
   * {@link bytesPerSync} for every policy, so dirty data stays bounded and a rotation never has
   * a whole segment to flush.
   */
  private readonly syncThreshold: number;
  private readonly intent: BatchIntentLog;
  private readonly onFsync: WalObserver['onFsync'];
  private syncWaiters: PendingWrite[] = [];
  private syncing: Promise<void> | undefined;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set once an fdatasync of a segment failed (see {@link GroupCommit.syncAfterFailure}). */
  private segmentSyncFailed = false;
  /** The one fsync after a failure that was not a segment fsync. */
  private finalSync: Promise<void> | undefined;
  private durableSegment: number;
  private durableOffset: number;
  private unsyncedBytes = 0;
  private unsyncedRecords = 0;
  private unsyncedAppends = 0;
  private firstUnsyncedAt = 0;
  /** The error that failed the WAL, if any. */
  failure: WalError | undefined;
  fsyncs = 0;

  constructor(
    options: GroupCommitOptions,
    private readonly host: CommitHost,
    durable: Position,
  ) {
    this.alwaysDurable = options.policy.kind === 'always';
    this.batchWindowMs = options.policy.kind === 'batch' ? options.policy.windowMs : 0;
    const batchMaxBytes = options.policy.kind === 'batch' ? (options.policy.maxBytes ?? Infinity) : Infinity;
    this.syncThreshold = Math.min(batchMaxBytes, bytesPerSync(options.maxSegmentSize));
    this.intent = options.intent;
    this.onFsync = hook(options.observer, 'onFsync');
    this.durableSegment = durable.segmentId;
    this.durableOffset = durable.offset;
  }

  /** Position just after the last fsynced byte. */
  get durablePosition(): Position {
    return { segmentId: this.durableSegment, offset: this.durableOffset };
  }

  /** Settles a written append: now, or after the next fsync when it (or the policy) asks for durability. */
  written(p: PendingWrite): void {
    if (p.kind === 'sync' || p.durable || this.alwaysDurable) {
      p.state = WAITING_SYNC;
      this.syncWaiters.push(p);
    } else {
      p.state = DONE;
      p.resolve(positionsOf(p) as never);
    }
  }

  /** Counts bytes just handed to the OS; starts an fsync once they reach the threshold. */
  noteUnsynced(bytes: number, records: number, appends: number): void {
    if (this.unsyncedBytes === 0) this.firstUnsyncedAt = monotonicMs();
    this.unsyncedBytes += bytes;
    this.unsyncedRecords += records;
    this.unsyncedAppends += appends;
    if (this.unsyncedBytes >= this.syncThreshold) this.startSync();
  }

  /**
   * Starts an fsync when waiters need one or unsynced bytes reached the threshold, else arms the
   * batch timer. Called whenever the writer becomes idle: after a drain and after every fsync
   * round, since bytes written during a round may already be past `maxBytes`.
   */
  syncOrSchedule(): void {
    if (this.syncWaiters.length > 0 || this.unsyncedBytes >= this.syncThreshold) this.startSync();
    else if (this.batchWindowMs > 0 && this.unsyncedBytes > 0 && this.batchTimer === undefined) {
      // A timer that fired while the writer was busy did nothing: the window may be over already.
      if (monotonicMs() - this.firstUnsyncedAt >= this.batchWindowMs) this.startSync();
      else this.scheduleBatchSync();
    }
  }

  /** Resolves once no fsync round is running. */
  async idle(): Promise<void> {
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
  }

  /** Waits for any running fsync, then fsyncs everything written (rotation and intent compaction). */
  async syncNow(options: { force: boolean }): Promise<void> {
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
    if (!options.force && this.nothingToSync()) return;
    const round = this.beginFsync();
    try {
      await round.file.datasync();
    } catch (error) {
      this.endFsync(round, error);
      throw this.failure ?? error;
    }
    this.endFsync(round, undefined);
    // TypeScript keeps `this.failure` narrowed to `undefined` from before the await, but the log
    // may have failed meanwhile (another round, or endFsync).
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (this.failure !== undefined) throw this.failure;
  }

  /** Moves the durable watermark forward to `segmentId`/`offset` (never back). */
  markDurable(segmentId: number, offset: number): void {
    if (segmentId > this.durableSegment || (segmentId === this.durableSegment && offset > this.durableOffset)) {
      this.durableSegment = segmentId;
      this.durableOffset = offset;
    }
    this.intent.markDurable(segmentId, offset);
  }

  /**
   * Enters the failed state with `error` (wrapped as `ERR_FAILED`). Returns false when the WAL
   * had failed already. The caller settles its writes, then calls {@link GroupCommit.startFinalSync}.
   */
  enterFailed(error: unknown): boolean {
    if (this.failure !== undefined) return false;
    const cause = toError(error);
    this.failure =
      cause instanceof WalError && cause.code === 'ERR_FAILED'
        ? cause
        : new WalError('ERR_FAILED', `the WAL failed and accepts no more writes: ${cause.message}`, { cause });
    this.clearTimer();
    return true;
  }

  /** Starts the one fsync after a failure; sync waiters stay until it decides (see syncAfterFailure). */
  startFinalSync(): void {
    this.finalSync = this.syncAfterFailure();
  }

  /** Rejects `p` with the failure (no-op once settled). */
  settleFailed(p: PendingWrite): void {
    if (p.state === DONE) return;
    p.state = DONE;
    p.reject(this.failure ?? new WalError('ERR_FAILED', 'the WAL failed'));
  }

  /** Waits for the running round and the fsync after a failure; stops the batch timer (close). */
  async settle(): Promise<void> {
    await this.idle();
    // The close marker itself may have failed the WAL, so read the field only now.
    await this.finalSync;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
  }

  private scheduleBatchSync(): void {
    if (this.batchTimer !== undefined || this.syncing !== undefined) return;
    const delay = Math.max(0, this.firstUnsyncedAt + this.batchWindowMs - monotonicMs());
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      this.startSync();
    }, delay);
  }

  /** Starts one shared fdatasync for everything written so far (no-op if one is running). */
  private startSync(): void {
    if (this.syncing !== undefined || this.failure !== undefined || this.host.busy()) return;
    this.clearTimer();
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
        if (this.failure !== undefined || this.host.busy()) return;
        this.syncOrSchedule();
      },
      (error: unknown) => {
        this.syncing = undefined;
        this.endFsync(round, error);
      },
    );
  }

  /** True when every byte written to the active segment is already durable. */
  private nothingToSync(): boolean {
    const active = this.host.active();
    return this.unsyncedBytes === 0 && this.durableSegment === active.id && this.durableOffset >= active.size;
  }

  /** Captures what an fdatasync about to start covers: its waiters, counters and target. */
  private beginFsync(): FsyncRound {
    const active = this.host.active();
    const round: FsyncRound = {
      file: active.file,
      segmentId: active.id,
      target: active.size,
      waiters: this.syncWaiters,
      bytes: this.unsyncedBytes,
      records: this.unsyncedRecords,
      appends: this.unsyncedAppends,
      started: monotonicMs(),
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
      this.onFsync({ durationMs: monotonicMs() - round.started, bytes, records, appends, ok });
    }
    if (!ok) {
      // Never retry an fsync (fsyncgate): the kernel may have dropped the dirty pages.
      this.segmentSyncFailed = true;
      this.host.fail(error, round.waiters);
      return;
    }
    // The bytes are durable even if a later write failed meanwhile: its waiters may resolve.
    this.markDurable(round.segmentId, round.target);
    for (const p of round.waiters) this.settleDurable(p);
  }

  private settleDurable(p: PendingWrite): void {
    if (p.state === DONE) return;
    p.state = DONE;
    if (p.kind === 'sync') p.resolve(this.durablePosition as never);
    else p.resolve(positionsOf(p) as never);
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
}
