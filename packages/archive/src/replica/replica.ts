import { ArchiveError } from '../errors.js';
import { ChunkKind, chunkKey } from '../layout/index.js';
import { fetchChunkHeader } from '../read/chunk-fetch.js';
import { emit, type RetryEvent } from '../archiver/observer.js';
import { withRetry } from '../archiver/retry.js';
import { FollowCursor, type ReplicaEntry } from './cursor.js';
import { chunkFeed } from './feed.js';
import { LagTracker, type ReplicaLag } from './lag.js';
import { checkFrom, resolveReplicaOptions, type FollowOptions, type ReplicaOptions, type ReplicaPosition, type ResolvedReplicaOptions } from './options.js';
import { findStart } from './start.js';

/**
 * Follows an archive prefix from another process or machine: yields the primary's records as its
 * archiver ships them, across segments and generations, verifying every chunk and record.
 *
 * ```ts
 * await using replica = openReplica({ store, prefix: 'orders', pollIntervalMs: 200 });
 * for await (const e of replica.follow({ from: saved })) {
 *   apply(e.key, e.value);
 *   saved = e.next; // restart point: nothing is yielded twice after follow({ from: saved })
 * }
 * ```
 */
export class Replica implements AsyncDisposable {
  private readonly options: ResolvedReplicaOptions;
  private readonly closeController = new AbortController();
  private tracker = new LagTracker();
  private cursor: FollowCursor | undefined;
  private following = false;

  /** Use {@link openReplica}. */
  constructor(options: ReplicaOptions) {
    this.options = resolveReplicaOptions(options);
    const { signal } = options;
    if (signal?.aborted === true) this.closeController.abort(signal.reason);
    else signal?.addEventListener('abort', () => this.closeController.abort(signal.reason), { once: true });
  }

  /** True once closed (or its signal fired). */
  get closed(): boolean {
    return this.closeController.signal.aborted;
  }

  /** Just past the last record the current (or last) follow yielded; undefined before any. */
  get position(): ReplicaPosition | undefined {
    const position = this.cursor?.position;
    return position === undefined ? undefined : { ...position };
  }

  /**
   * Yields the archive's records from `from` (default: the start of the newest generation's
   * retained log), first those already shipped, then new ones as polls find them; never ends on
   * its own. One follow at a time per replica. Ends cleanly when `signal` fires or the replica is
   * closed.
   * @throws ArchiveError `ERR_REPLICA_DIVERGED`, `ERR_REPLICA_TRIMMED`, `ERR_ARCHIVE_CORRUPT` and
   *   `ERR_OBJECT_MISSING` (naming the chunk), `ERR_NO_GENERATION`, `ERR_INVALID_ARGUMENT`
   *   (`from` is not a record boundary), `ERR_CLOSED`, non-retryable store errors.
   */
  async *follow(options: FollowOptions = {}): AsyncGenerator<ReplicaEntry, void, undefined> {
    if (this.closed) throw new ArchiveError('ERR_CLOSED', 'the replica is closed');
    if (this.following) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'a replica follows one stream at a time; open another replica');
    checkFrom(options.from);
    this.following = true;
    this.tracker = new LagTracker();
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    const signals = [options.signal, this.closeController.signal];
    for (const s of signals) s?.addEventListener('abort', stop, { once: true });
    if (signals.some((s) => s?.aborted === true)) stop();
    try {
      if (controller.signal.aborted) return;
      const { store, prefix } = this.options;
      const retry = {
        retry: this.options.retry,
        observer: { onRetry: (e: RetryEvent) => emit(this.options.observer, 'onRetry', e) },
        signal: controller.signal,
      };
      const start = await withRetry(retry, 'list', prefix, () => findStart(store, prefix, options.from, controller.signal)).catch((error: unknown) => {
        if (controller.signal.aborted) return undefined;
        throw error;
      });
      if (start === undefined) return;
      const cursor = new FollowCursor(start, options.from, this.options.observer);
      this.cursor = cursor;
      for await (const chunk of chunkFeed({ options: this.options, lag: this.tracker, signal: controller.signal }, start.seq)) {
        const key = chunkKey(prefix, chunk.header.seq);
        // Fetched and verified: no longer behind, even if the consumer stops inside its records.
        this.tracker.applied(chunk.header.seq, chunk.header.createdAt);
        let records = 0;
        for (const entry of cursor.apply(chunk, key)) {
          yield entry;
          records++;
          // Aborted while the consumer held the entry: not one more record.
          if (controller.signal.aborted) return;
        }
        const { header } = chunk;
        const kind = header.kind === ChunkKind.data ? 'data' : 'generation-start';
        emit(this.options.observer, 'onChunkApplied', {
          key,
          seq: header.seq,
          generation: header.generation,
          kind,
          segmentId: header.segmentId,
          offset: header.offset,
          bytes: header.payloadLength,
          records,
          createdAt: header.createdAt,
        });
      }
    } finally {
      for (const s of signals) s?.removeEventListener('abort', stop);
      controller.abort();
      this.following = false;
    }
  }

  /**
   * How far behind the archive the replica is, as of its last listing: chunks and payload bytes
   * listed but not applied, and the shipping time between the newest chunk and the last applied one.
   */
  async lag(options: { signal?: AbortSignal } = {}): Promise<ReplicaLag> {
    const unknown = this.tracker.unknownNewest;
    if (unknown !== undefined) {
      const header = await fetchChunkHeader(this.options.store, this.options.prefix, unknown, options.signal).catch(() => undefined);
      if (header !== undefined && this.tracker.unknownNewest === unknown) this.tracker.newestCreatedAt = header.createdAt;
    }
    return this.tracker.snapshot();
  }

  /** Ends every follow of this replica (they finish cleanly). Idempotent. */
  close(): Promise<void> {
    this.closeController.abort();
    return Promise.resolve();
  }

  /** Same as {@link Replica.close} (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens a replica of the archive under `prefix` (nothing is read until `follow`).
 * @throws ArchiveError `ERR_INVALID_ARGUMENT` naming a bad option.
 */
export function openReplica(options: ReplicaOptions): Replica {
  return new Replica(options);
}
