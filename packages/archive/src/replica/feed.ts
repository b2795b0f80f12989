import { backoffDelay, isRetryable, sleep } from '../archiver/backoff.js';
import { emit } from '../archiver/observer.js';
import { toError } from '../archiver/errors.js';
import { ArchiveError, isArchiveError } from '../errors.js';
import { chunkKey, folderOf, CHUNKS_FOLDER, parseChunkKey, type Chunk } from '../layout/index.js';
import { readRetentionMarker, type ListedChunk } from '../read/catalog.js';
import { streamChunks } from '../restore/chunk-stream.js';
import type { LagTracker } from './lag.js';
import type { ResolvedReplicaOptions } from './options.js';

/** What the chunk feed of one follow needs. */
export interface FeedContext {
  options: ResolvedReplicaOptions;
  lag: LagTracker;
  /** Fires when the follow ends (caller's signal, close, or the consumer stopped). */
  signal: AbortSignal;
}

/**
 * Chunks one listing round takes at most: a replica far behind reads them, then lists on (its lag
 * counts only the chunks listed so far).
 */
export const MAX_LISTED_CHUNKS = 10_000;

/** Chunks listed after `next - 1`, dense from `next` (stops at the first gap, or after {@link MAX_LISTED_CHUNKS}). */
async function listFrom(context: FeedContext, next: number): Promise<{ chunks: ListedChunk[]; gapAt: number | undefined }> {
  const { store, prefix } = context.options;
  const chunks: ListedChunk[] = [];
  const startAfter = next === 0 ? undefined : chunkKey(prefix, next - 1);
  for await (const { key, size } of store.list(folderOf(prefix, CHUNKS_FOLDER), { startAfter, signal: context.signal })) {
    const seq = parseChunkKey(prefix, key);
    if (seq === undefined || seq < next) continue;
    if (seq !== next + chunks.length) return { chunks, gapAt: next + chunks.length };
    chunks.push({ seq, size });
    if (chunks.length === MAX_LISTED_CHUNKS) break;
  }
  return { chunks, gapAt: undefined };
}

/**
 * A chunk the layout requires is gone: `ERR_REPLICA_TRIMMED` when retention's marker says it was
 * deleted on purpose, else `ERR_OBJECT_MISSING` naming it (LAYOUT.md "Retention").
 */
async function missingChunk(context: FeedContext, seq: number, cause?: unknown): Promise<ArchiveError> {
  const { store, prefix } = context.options;
  const key = chunkKey(prefix, seq);
  const marker = await readRetentionMarker(store, prefix, context.signal);
  if (marker > seq) {
    return new ArchiveError(
      'ERR_REPLICA_TRIMMED',
      `chunk ${key} was deleted by retention (the archive now starts at seq ${marker}); the replica cannot continue from its position`,
      { key, cause },
    );
  }
  return new ArchiveError('ERR_OBJECT_MISSING', `chunk ${key} is missing: the archive has a hole at the replica's position`, { key, cause });
}

/**
 * The archive's chunks from `fromSeq` on, in seq order, fully verified (object CRC32C, header,
 * payload CRC, seq): first what is there, then whatever a poll every `pollIntervalMs` finds
 * (listing after the last seq seen). Retryable store errors are retried with backoff, forever.
 * Ends (without error) when `context.signal` fires.
 */
export async function* chunkFeed(context: FeedContext, fromSeq: number): AsyncGenerator<Chunk, void, undefined> {
  const { options, lag, signal } = context;
  let next = fromSeq;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      const { chunks, gapAt } = await listFrom(context, next);
      lag.listed(chunks, Date.now());
      emit(options.observer, 'onPoll', { chunks: chunks.length, newestSeq: chunks.at(-1)?.seq });
      if (chunks.length === 0 && gapAt !== undefined) throw await missingChunk(context, gapAt);
      const last = chunks.at(-1);
      if (last !== undefined) {
        const stream = streamChunks({ store: options.store, prefix: options.prefix, fromSeq: next, toSeq: last.seq, prefetch: options.prefetch, signal });
        for await (const chunk of stream) {
          attempt = 0;
          next = chunk.header.seq + 1;
          yield chunk;
        }
      }
      attempt = 0;
      if (gapAt === undefined && last === undefined) await sleep(options.pollIntervalMs, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (isArchiveError(error, 'ERR_OBJECT_MISSING') && error.key === chunkKey(options.prefix, next)) throw await missingChunk(context, next, error);
      if (!isRetryable(error)) throw error;
      attempt++;
      const delayMs = backoffDelay(attempt, options.retry);
      emit(options.observer, 'onRetry', { op: 'follow', key: chunkKey(options.prefix, next), attempt, delayMs, error: toError(error) });
      await sleep(delayMs, signal).catch(() => undefined);
    }
  }
}
