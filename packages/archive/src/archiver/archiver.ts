import type { RecordInput } from '@nori/codec';
import { comparePositions, formatPosition, segmentName, type AppendResult, type Position, type Wal, type WalHold } from '@nori/wal';
import { ArchiveError, isArchiveError } from '../errors.js';
import { newWriterId } from '../layout/index.js';
import { chooseShipper } from '../worker/shipper.js';
import { abortedError } from './backoff.js';
import { closedError, toError } from './errors.js';
import { emit, type RemoteDurableEvent } from './observer.js';
import { openGeneration } from './open-generation.js';
import { resolveArchiverOptions, type ArchiverOptions, type ResolvedArchiverOptions } from './options.js';
import type { RetryContext } from './retry.js';
import type { ChunkShipper } from './shipper.js';
import { PositionWaiters } from './position-waiters.js';
import { checkPosition, walAppendOptions } from './remote-durable.js';
import {
  PENDING_POLL_MS,
  type ArchiverLag,
  type ArchiverState,
  type ArchiverStats,
  type CloseOptions,
  type FlushOptions,
  type RemoteDurableOptions,
} from './types.js';

/**
 * Ships an open {@link Wal} to an object store, following LAYOUT.md: sealed segments and the live
 * tail, as chunks created with conditional writes, only up to the WAL's `durablePosition`.
 *
 * ```ts
 * await using archiver = await Archiver.start(wal, { store, prefix: 'orders' });
 * await wal.append({ key: 'k', value: 'v' });
 * await archiver.flush(); // everything appended before is in the store
 * ```
 */
export class Archiver implements AsyncDisposable {
  private readonly options: ResolvedArchiverOptions;
  private readonly hold: WalHold;
  private readonly stopController = new AbortController();
  private readonly context: RetryContext;
  private cursor: Position;
  private seq: number;
  private readonly waiters = new PositionWaiters();
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private pump: Promise<void> = Promise.resolve();
  private poller: ReturnType<typeof setInterval> | undefined;
  private checking = false;
  private pendingSince: number | undefined;
  private stopError: Error | undefined;
  private currentState: ArchiverState = 'running';
  private closing: Promise<void> | undefined;
  private shippedChunks = 0;
  private shippedBytes = 0;
  private readonly shipper: ChunkShipper;
  private readonly unwatchShipper: () => void;

  /** The generation this archiver writes. */
  readonly generation: number;
  /** This instance's writer id (32 hex digits, in every chunk it creates). */
  readonly writerId: string;

  private constructor(
    options: ResolvedArchiverOptions,
    opened: { generation: number; nextSeq: number; cursor: Position },
    writerId: string,
    hold: WalHold,
    shipper: ChunkShipper,
  ) {
    this.options = options;
    this.generation = opened.generation;
    this.seq = opened.nextSeq;
    this.cursor = { ...opened.cursor };
    this.writerId = writerId;
    this.hold = hold;
    this.context = { retry: options.retry, observer: options.observer, signal: this.stopController.signal };
    this.shipper = shipper;
    // A worker that dies between chunks must stop the archiver now, not at the next chunk.
    this.unwatchShipper = shipper.onFailure((error) => {
      if (this.currentState !== 'running') return;
      this.stop(error);
      this.wake();
    });
  }

  /** Which thread does the per-byte work of shipping (see {@link ArchiverOptions.shipping}). */
  get shipping(): 'worker' | 'main-thread' {
    return this.shipper.mode;
  }

  /**
   * Attaches an archiver to an open, writable WAL: inspects the archive, resumes this WAL's
   * generation or begins a new one (LAYOUT.md "Writing"), then ships in the background.
   * @throws ArchiveError `ERR_FENCED` (the prefix belongs to another primary; nothing written),
   *   `ERR_INVALID_ARGUMENT`, `ERR_ARCHIVE_CORRUPT`, `ERR_ABORTED`, non-retryable store errors.
   */
  static async start(wal: Wal, options: ArchiverOptions): Promise<Archiver> {
    const resolved = resolveArchiverOptions(wal, options);
    if (resolved.signal?.aborted === true) throw abortedError(resolved.signal, 'Archiver.start');
    const shipper = chooseShipper(resolved.shipping, resolved.store, wal.storage);
    // Hold everything first (a GC running now deletes nothing more), then look at what is left.
    const hold = wal.retain({ segmentId: 0, offset: 0 });
    try {
      const segments = await wal.segments();
      const snapshotStart: Position = { segmentId: segments[0]?.id ?? 0, offset: 0 };
      hold.moveTo(snapshotStart);
      const writerId = newWriterId();
      const context: RetryContext = { retry: resolved.retry, observer: resolved.observer, signal: resolved.signal };
      const opened = await openGeneration(resolved, context, writerId, snapshotStart);
      hold.moveTo(opened.cursor);
      const archiver = new Archiver(resolved, opened, writerId, hold, shipper);
      archiver.launch();
      return archiver;
    } catch (error) {
      hold.release();
      throw error;
    }
  }

  /** Position just after the last archived byte: everything before it is in the store. */
  get archivedPosition(): Position {
    return { ...this.cursor };
  }

  /** See {@link ArchiverState}. */
  get state(): ArchiverState {
    return this.currentState;
  }

  /** The error that stopped a `fenced` or `failed` archiver. */
  get error(): Error | undefined {
    return this.stopError;
  }

  /** Counters and the watermark. */
  stats(): ArchiverStats {
    return { generation: this.generation, nextSeq: this.seq, chunks: this.shippedChunks, bytes: this.shippedBytes, archivedPosition: this.archivedPosition };
  }

  /**
   * Resolves once everything appended (acknowledged) before the call is in the store: syncs the
   * WAL first (so `os`/`batch` appends become durable and shippable), then waits for the archiver
   * to ship up to that durable position. Resolves with the archived position.
   * @throws ArchiveError `ERR_FENCED` / the error of a failed archiver, `ERR_CLOSED`, `ERR_ABORTED`;
   *   WalError when the WAL cannot sync.
   */
  async flush(options: FlushOptions = {}): Promise<Position> {
    this.throwIfStopped();
    const { signal } = options;
    if (signal?.aborted === true) throw abortedError(signal, 'flush');
    const target = await this.options.wal.sync();
    this.throwIfStopped();
    return this.waitUntil((cursor) => comparePositions(cursor, target) >= 0, signal, 'flush');
  }

  /**
   * Remote-durable append: appends `record` to the WAL as a durable write (`{ durable: true }`,
   * one fsync shared by concurrent callers) and resolves with what `wal.append` resolves
   * (`{ index, position }`) only once its bytes
   * are in the object store. Concurrent callers share PUTs (see {@link Archiver.waitArchived}).
   * A fenced, failed or closed archiver refuses before writing anything.
   * @throws ArchiveError `ERR_FENCED` / the error of a failed archiver, `ERR_CLOSED`, `ERR_ABORTED`;
   *   WalError from `wal.append`. After a rejection the record may be in the local log (and even in
   *   the archive): treat it as not acknowledged, not as absent.
   */
  append(record: RecordInput, options: RemoteDurableOptions = {}): Promise<AppendResult> {
    return this.timedRemoteDurable('append', 1, async () => {
      this.throwIfStopped();
      const appended = await this.options.wal.append(record, walAppendOptions(options));
      await this.waitRecordArchived(appended.position, options.signal, 'append');
      return appended;
    });
  }

  /**
   * Remote-durable {@link Wal.appendBatch}: resolves with one `{ index, position }` per record once the whole
   * batch is in the object store. Rejects like {@link Archiver.append}.
   */
  appendBatch(records: readonly RecordInput[], options: RemoteDurableOptions = {}): Promise<AppendResult[]> {
    return this.timedRemoteDurable('appendBatch', Array.isArray(records) ? records.length : 0, async () => {
      this.throwIfStopped();
      const appended = await this.options.wal.appendBatch(records, walAppendOptions(options));
      const last = appended[appended.length - 1];
      if (last !== undefined) await this.waitRecordArchived(last.position, options.signal, 'appendBatch');
      return appended;
    });
  }

  /**
   * Resolves once the record that starts at `position` (as returned by `wal.append`) is in the
   * store, with the archived position. When it is not durable yet, syncs the WAL first (the
   * archiver ships only durable bytes). Group shipping: a waiter starts shipping everything durable
   * at once; waiters that arrive while a PUT is in flight are all carried by the next one.
   * @throws ArchiveError `ERR_INVALID_ARGUMENT` (not a position, or no record was appended there),
   *   `ERR_FENCED` / the error of a failed archiver, `ERR_CLOSED`, `ERR_ABORTED`; WalError when
   *   the WAL cannot sync.
   */
  waitArchived(position: Position, options: RemoteDurableOptions = {}): Promise<Position> {
    return this.timedRemoteDurable('waitArchived', 1, () => this.waitArchivedUntimed(position, options));
  }

  private async waitArchivedUntimed(position: Position, options: RemoteDurableOptions): Promise<Position> {
    checkPosition(position);
    this.throwIfStopped();
    const { signal } = options;
    if (signal?.aborted === true) throw abortedError(signal, 'waitArchived');
    const { wal } = this.options;
    if (comparePositions(wal.durablePosition, position) <= 0) await wal.sync();
    this.throwIfStopped();
    if (comparePositions(wal.durablePosition, position) <= 0) {
      throw new ArchiveError(
        'ERR_INVALID_ARGUMENT',
        `waitArchived: no record was appended at ${formatPosition(position)} (the log ends at ${formatPosition(wal.durablePosition)})`,
      );
    }
    return this.waitRecordArchived(position, signal, 'waitArchived');
  }

  /** Runs a remote-durable call and reports how long it took (`onRemoteDurable`), resolved or not. */
  private async timedRemoteDurable<T>(op: RemoteDurableEvent['op'], records: number, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const result = await run();
      ok = true;
      return result;
    } finally {
      emit(this.options.observer, 'onRemoteDurable', { op, records, durationMs: performance.now() - start, ok });
    }
  }

  /**
   * Waits until the durable record starting at `position` is archived. Chunks end at record
   * boundaries (LAYOUT.md), so the archived position is past a record's start only once the whole
   * record is archived.
   */
  private waitRecordArchived(position: Position, signal: AbortSignal | undefined, what: string): Promise<Position> {
    this.throwIfStopped();
    return this.waitUntil((cursor) => comparePositions(cursor, position) > 0, signal, what);
  }

  /** Resolves with the archived position once `reached` holds for it; wakes the shipper. */
  private waitUntil(reached: (cursor: Position) => boolean, signal: AbortSignal | undefined, what: string): Promise<Position> {
    if (reached(this.cursor)) return Promise.resolve(this.archivedPosition);
    const waiting = this.waiters.wait(reached, signal, what);
    this.wake();
    return waiting;
  }

  /**
   * Durable local bytes not archived yet, and roughly for how long (see {@link ArchiverLag}).
   * @throws ArchiveError `ERR_FENCED` / the error of a failed archiver, `ERR_CLOSED`.
   */
  async lag(): Promise<ArchiverLag> {
    this.throwIfStopped();
    const bytes = await this.pendingBytes();
    const since = this.pendingSince;
    const seconds = bytes === 0 || since === undefined ? 0 : Math.max(0, this.options.now() - since) / 1000;
    return { bytes, seconds };
  }

  /**
   * Stops shipping (after a flush with `{ flush: true }`), releases the WAL's GC hold. Idempotent.
   * Close the archiver before its WAL.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options);
    return this.closing;
  }

  /** Same as `close()` without a flush (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(options: CloseOptions): Promise<void> {
    let flushError: unknown;
    if (options.flush === true && this.currentState === 'running') {
      await this.flush(options.signal === undefined ? {} : { signal: options.signal }).catch((error: unknown) => {
        flushError = error;
      });
    }
    this.stopController.abort();
    this.currentState = 'closed';
    if (this.poller !== undefined) clearInterval(this.poller);
    this.wake();
    await this.pump;
    this.waiters.rejectAll(this.stopError ?? closedError());
    this.unwatchShipper();
    this.hold.release();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the flush threw, as it was
    if (flushError !== undefined) throw flushError;
  }

  private throwIfStopped(): void {
    if (this.stopError !== undefined) throw this.stopError;
    if (this.currentState === 'closed') throw closedError();
  }

  private launch(): void {
    this.poller = setInterval(() => void this.checkPending(), Math.min(PENDING_POLL_MS, this.options.intervalMs));
    this.poller.unref();
    this.pump = this.run();
  }

  private async run(): Promise<void> {
    while (this.currentState === 'running') {
      try {
        await this.shipDurable();
      } catch (error) {
        this.stop(error);
        return;
      }
      await this.sleepUntilWoken();
    }
  }

  /** Ships every durable byte not archived yet (as of the call), chunk by chunk. */
  private async shipDurable(): Promise<void> {
    const { wal } = this.options;
    const capturedAt = this.options.now();
    const target = wal.durablePosition;
    if (comparePositions(this.cursor, target) >= 0) return;
    const sizes = new Map((await wal.segments()).map((s) => [s.id, s.size]));
    while (comparePositions(this.cursor, target) < 0 && this.currentState === 'running') {
      const { segmentId, offset } = this.cursor;
      // Segments before the durable one are sealed: their size is final.
      const end = segmentId < target.segmentId ? sizes.get(segmentId) : target.offset;
      if (end === undefined) {
        const name = segmentName(segmentId);
        throw new ArchiveError('ERR_OBJECT_MISSING', `local segment ${name} is missing: the archive cannot continue its log`, { key: name });
      }
      if (offset < end) await this.shipRange(segmentId, offset, end);
      else if (offset === 0)
        await this.shipRange(segmentId, 0, 0); // sealed and empty: an empty-segment chunk
      else this.advance({ segmentId: segmentId + 1, offset: 0 });
    }
    this.pendingSince = comparePositions(this.cursor, wal.durablePosition) < 0 ? capturedAt : undefined;
  }

  /**
   * Ships the next chunk of bytes `[offset, end)` of a segment; `offset == end == 0` ships the
   * empty-segment chunk of a sealed empty segment (LAYOUT.md "Empty segments").
   */
  private async shipRange(segmentId: number, offset: number, end: number): Promise<void> {
    const { prefix, maxChunkBytes, now, observer } = this.options;
    const seq = this.seq;
    const range = { prefix, seq, generation: this.generation, writerId: this.writerId, createdAt: now(), segmentId, offset, end, maxChunkBytes };
    const created = await this.shipper.ship(range, this.context);
    this.seq = seq + 1;
    this.shippedChunks++;
    this.shippedBytes += created.bytes;
    emit(observer, 'onChunkShipped', { ...created, seq, generation: this.generation, kind: 'data', segmentId, offset });
    this.advance(created.bytes === 0 ? { segmentId: segmentId + 1, offset: 0 } : { segmentId, offset: offset + created.bytes });
  }

  private advance(position: Position): void {
    this.cursor = position;
    this.hold.moveTo(position);
    this.waiters.advance(position);
  }

  /** Stops for good after `error` (ignored when it is just the archiver closing). */
  private stop(error: unknown): void {
    if (this.stopController.signal.aborted) return;
    const cause = toError(error);
    this.stopError = cause;
    if (this.poller !== undefined) clearInterval(this.poller);
    if (isArchiveError(cause, 'ERR_FENCED')) {
      this.currentState = 'fenced';
      emit(this.options.observer, 'onFenced', { error: cause, key: cause.key });
    } else {
      this.currentState = 'failed';
      emit(this.options.observer, 'onError', { error: cause });
    }
    this.waiters.rejectAll(cause);
  }

  private wake(): void {
    if (this.wakeUp !== undefined) this.wakeUp();
    else this.wakePending = true;
  }

  /** Waits for the next interval, a flush, `maxBytes` pending, or close. */
  private async sleepUntilWoken(): Promise<void> {
    if (!this.wakePending && this.currentState === 'running') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.wakeUp?.(), this.options.intervalMs);
        timer.unref();
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
    this.wakePending = false;
  }

  /** Durable bytes after the archived position. */
  private async pendingBytes(): Promise<number> {
    const durable = this.options.wal.durablePosition;
    const cursor = this.cursor;
    if (comparePositions(cursor, durable) >= 0) return 0;
    if (cursor.segmentId === durable.segmentId) return durable.offset - cursor.offset;
    let bytes = durable.offset - cursor.offset;
    for (const segment of await this.options.wal.segments()) {
      if (segment.id >= cursor.segmentId && segment.id < durable.segmentId) bytes += segment.size;
    }
    return bytes;
  }

  private async checkPending(): Promise<void> {
    if (this.checking || this.currentState !== 'running') return;
    this.checking = true;
    try {
      const bytes = await this.pendingBytes();
      if (bytes > 0) this.pendingSince ??= this.options.now();
      if (bytes >= this.options.maxBytes) this.wake();
    } catch {
      // The WAL closed under the archiver: the next shipping round reports it.
    } finally {
      this.checking = false;
    }
  }
}
