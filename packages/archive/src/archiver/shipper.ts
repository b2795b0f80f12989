import type { Storage } from '@nori/storage';
import { ChunkKind, writeChunkHeader } from '../layout/index.js';
import type { ArchiveError } from '../errors.js';
import { handOver } from '../memory/store.js';
import type { ObjectStore } from '../types.js';
import { createChunk, type CreatedChunk } from './chunk-writer.js';
import type { RetryContext } from './retry.js';
import { readNextChunk } from './segment-bytes.js';

/**
 * The next data chunk to ship: bytes from `offset` up to at most `end` of segment `segmentId`
 * (cut at the last record boundary within `maxChunkBytes`), with the header fields the main
 * thread decides. `offset == end == 0` is the empty-segment chunk of a sealed empty segment.
 */
export interface ChunkRange {
  prefix: string;
  seq: number;
  generation: number;
  writerId: string;
  /** Fixed before the first attempt: every retry sends byte-identical chunks (lost responses). */
  createdAt: number;
  segmentId: number;
  offset: number;
  end: number;
  maxChunkBytes: number;
}

/** Reads, encodes and creates data chunks: on the event loop's thread or in a worker. */
export interface ChunkShipper {
  /** Where the per-byte work runs (stats, docs). */
  readonly mode: 'main-thread' | 'worker';
  /** Creates the chunk of `range` (retrying retryable store errors); its payload length is in the result. */
  ship(range: ChunkRange, context: RetryContext): Promise<CreatedChunk>;
  /** Calls `listener` when the shipper can no longer ship (its worker exited); returns an unsubscribe. */
  onFailure(listener: (error: ArchiveError) => void): () => void;
}

/** Reads the bytes of `range` into a new chunk buffer (header room first, payload cut at a record boundary). */
export function readRangeChunk(storage: Storage, range: ChunkRange): Promise<Uint8Array> {
  return readNextChunk(storage, range.segmentId, range.offset, range.end, range.maxChunkBytes);
}

/** Writes the data-chunk header of `range` into `chunk` (computing the payload's CRC32C). */
export function writeRangeHeader(chunk: Uint8Array, range: ChunkRange): Uint8Array {
  const { seq, generation, segmentId, offset, createdAt, writerId } = range;
  return writeChunkHeader(chunk, { kind: ChunkKind.data, seq, generation, segmentId, offset, createdAt, writerId });
}

/** Ships on the calling thread: the store's own I/O, the segment reads and the CRCs run here. */
export class MainThreadShipper implements ChunkShipper {
  readonly mode = 'main-thread';

  constructor(
    private readonly storage: Storage,
    private readonly store: ObjectStore,
  ) {}

  async ship(range: ChunkRange, context: RetryContext): Promise<CreatedChunk> {
    const bytes = handOver(writeRangeHeader(await readRangeChunk(this.storage, range), range));
    return createChunk(this.store, range.prefix, { seq: range.seq, writerId: range.writerId, bytes }, context);
  }

  onFailure(): () => void {
    return () => undefined; // nothing here can fail on its own: store errors come from ship()
  }
}
