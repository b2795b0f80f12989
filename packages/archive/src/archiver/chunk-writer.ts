import { crc32c } from '@nori/codec';
import { isArchiveError } from '../errors.js';
import { CHUNK_HEADER_SIZE, chunkKey, decodeChunkHeader, type ChunkHeader } from '../layout/index.js';
import { fetchChunkHead, type ChunkHead } from '../read/chunk-fetch.js';
import type { ObjectStore } from '../types.js';
import { fencedError } from './errors.js';
import { withRetry, type RetryContext } from './retry.js';

/** What creating a chunk took. */
export interface CreatedChunk {
  key: string;
  /** Payload bytes. */
  bytes: number;
  attempts: number;
  durationMs: number;
}

/** What a conditional create found at its key: ours (a lost response), or another writer's chunk. */
type ExistingChunk = { ours: true } | { ours: false; header: ChunkHeader | undefined };

/**
 * Reads the header of the object at `key`: ours when it is exactly the chunk we tried to create
 * (an earlier attempt whose response was lost): our writer id in its header, and the same size
 * and CRC32C as our bytes. Otherwise its header, when it has one, names the writer that won.
 */
async function inspectExisting(store: ObjectStore, prefix: string, chunk: ChunkToCreate, signal: AbortSignal | undefined): Promise<ExistingChunk> {
  let head: ChunkHead;
  try {
    head = await fetchChunkHead(store, prefix, chunk.seq, signal);
  } catch (error) {
    if (isArchiveError(error) && (error.retryable || error.code === 'ERR_ABORTED')) throw error;
    return { ours: false, header: undefined }; // gone again, or not a chunk header: not ours
  }
  const ours = head.header.writerId === chunk.writerId && head.info.size === chunk.bytes.length && head.info.crc32c === crc32c(chunk.bytes) >>> 0;
  return ours ? { ours } : { ours, header: head.header };
}

/** The `ERR_FENCED` of a lost conditional create, naming the generation that now owns the prefix. */
function lostCreateError(key: string, bytes: Uint8Array, winner: ChunkHeader | undefined): Error {
  const mine = decodeChunkHeader(bytes, key).generation;
  const owner = winner === undefined ? 'another writer' : `generation ${winner.generation} (writer ${winner.writerId})`;
  return fencedError(
    `fenced: chunk ${key} was created by ${owner}, a newer primary now owns the archive prefix; ` +
      `this archiver (generation ${mine}) stops and ships nothing more`,
    key,
  );
}

/** A chunk object to create: seq `seq`, written by `writerId`, encoded by the layout module. */
export interface ChunkToCreate {
  seq: number;
  writerId: string;
  bytes: Uint8Array;
}

/**
 * One attempt at creating a chunk with a conditional create (LAYOUT.md "Writing", step 3):
 * `ERR_PRECONDITION_FAILED` is our own earlier attempt when the stored object is byte-for-byte
 * ours (resolves), and `ERR_FENCED` otherwise. Other store errors are thrown as they are (the
 * caller retries the retryable ones with the same bytes).
 */
export async function attemptCreateChunk(store: ObjectStore, prefix: string, chunk: ChunkToCreate, signal: AbortSignal | undefined): Promise<void> {
  const key = chunkKey(prefix, chunk.seq);
  // No `checksum` option: the store computes the object CRC32C anyway, and the chunk's own CRCs
  // (checked by every reader) cover the bytes; our CRC of the object is needed only to recognise
  // a lost response.
  try {
    await store.put(key, chunk.bytes, { ifNoneMatch: '*', signal });
  } catch (error) {
    if (!isArchiveError(error, 'ERR_PRECONDITION_FAILED')) throw error;
    const existing = await inspectExisting(store, prefix, chunk, signal);
    if (existing.ours) return;
    throw lostCreateError(key, chunk.bytes, existing.header);
  }
}

/**
 * Creates chunk object `bytes` with {@link attemptCreateChunk}, retrying retryable failures with
 * backoff.
 */
export async function createChunk(store: ObjectStore, prefix: string, chunk: ChunkToCreate, context: RetryContext): Promise<CreatedChunk> {
  const key = chunkKey(prefix, chunk.seq);
  const started = performance.now();
  let attempts = 0;
  await withRetry(context, 'put', key, async (attempt) => {
    attempts = attempt;
    await attemptCreateChunk(store, prefix, chunk, context.signal);
  });
  return { key, bytes: chunk.bytes.length - CHUNK_HEADER_SIZE, attempts, durationMs: performance.now() - started };
}
