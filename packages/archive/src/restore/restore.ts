import type { Storage } from '@nori/storage';
import { parseSegmentName, type Position } from '@nori/wal';
import { ArchiveError, isArchiveError } from '../errors.js';
import { CHUNK_HEADER_SIZE, ChunkKind, type Chunk } from '../layout/chunk.js';
import { checkContinuity, endOf, type ChunkEnd } from '../layout/continuity.js';
import { decodeGenerationStart } from '../layout/generation.js';
import { chunkKey, parseChunkKey } from '../layout/keys.js';
import { listGenerations, readRetentionMarker } from '../read/catalog.js';
import type { ObjectStore } from '../types.js';
import { DEFAULT_PREFETCH, streamChunks } from './chunk-stream.js';
import { openDestination } from './destination.js';
import { firstMissingSeq, planRestore, type RestorePlan } from './plan.js';
import { SegmentSink } from './segment-sink.js';
import { verifyRestoredLog, type ChunkSpan, type VerifiedLog } from './verify.js';

/** Progress of a restore, reported after every chunk. */
export interface RestoreProgress {
  chunks: number;
  chunksTotal: number;
  /** Chunk object bytes read so far and in the whole range. */
  bytes: number;
  bytesTotal: number;
}

/** Options of {@link restore}. */
export interface RestoreOptions {
  store: ObjectStore;
  /** The archive prefix (LAYOUT.md `P`; may be empty). */
  prefix: string;
  /** Destination directory: created if missing, refused unless empty. */
  dir?: string | undefined;
  /** Or any `Storage` (e.g. `MemoryStorage`), refused unless empty. */
  storage?: Storage | undefined;
  /** Stop at the last record boundary at or below this position (exclusive end). */
  to?: Position | undefined;
  /** Stop after the last chunk cut at or before this time (chunk `createdAt`). */
  toTime?: Date | undefined;
  /** Generation to restore; default: the newest (with `toTime`: the newest that existed then). */
  generation?: number | undefined;
  /** Chunks fetched ahead (default {@link DEFAULT_PREFETCH}); memory is about this many chunks. */
  prefetch?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: RestoreProgress) => void) | undefined;
}

/** What {@link restore} did. */
export interface RestoreReport {
  generation: number;
  /** Seqs of the first and last chunk applied. */
  startSeq: number;
  lastSeq: number;
  /** Chunks read and applied (the generation-start chunk included). */
  chunks: number;
  /** Segment bytes written (before a torn tail or a `to` cut). */
  bytes: number;
  /** Segment files in the result. */
  segments: number;
  /** Just past the last restored record: where a writer opening the result appends next. */
  end: Position;
  /** Records in the result, as counted by the WAL's recovery. */
  records: number;
  /** Bytes of a torn tail in the last chunk, dropped as a local open drops a torn tail. */
  tailBytesDropped: number;
}

interface Applied {
  spans: ChunkSpan[];
  chunks: number;
  bytes: number;
  lastSeq: number;
}

function checkOptions(options: RestoreOptions): void {
  const { to, prefetch } = options;
  const safe = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (to !== undefined && !(safe(to.segmentId) && safe(to.offset))) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', '`to` must be a position of non-negative integers');
  }
  if (prefetch !== undefined && !(Number.isSafeInteger(prefetch) && prefetch >= 1)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', '`prefetch` must be a positive integer');
  }
  if (options.toTime !== undefined && !(options.toTime instanceof Date)) throw new ArchiveError('ERR_INVALID_ARGUMENT', '`toTime` must be a Date');
  if (options.generation !== undefined && !(Number.isSafeInteger(options.generation) && options.generation >= 1)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', '`generation` must be an integer >= 1');
  }
}

function corruptChunk(prefix: string, seq: number, reason: string): ArchiveError {
  const key = chunkKey(prefix, seq);
  return new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: ${reason}`, { key });
}

/** False once `chunk` lies beyond the restore target (it and every later chunk are left out). */
function withinTarget(chunk: Chunk, options: RestoreOptions): boolean {
  const { header } = chunk;
  if (options.toTime !== undefined && header.createdAt > options.toTime.getTime()) return false;
  const { to } = options;
  if (to === undefined || header.kind !== ChunkKind.data) return true;
  return header.segmentId < to.segmentId || (header.segmentId === to.segmentId && header.offset < to.offset);
}

/** Checks a chunk's place in the generation (LAYOUT.md "Reading"); returns true for a data chunk. */
function checkPlace(chunk: Chunk, plan: RestorePlan, prefix: string): boolean {
  const { header } = chunk;
  const { generation } = plan.generation;
  if (header.generation !== generation) throw corruptChunk(prefix, header.seq, `belongs to generation ${header.generation}, expected ${generation}`);
  const isStart = header.seq === plan.generation.startSeq;
  if (header.kind === ChunkKind.generationStart) {
    if (!isStart) throw corruptChunk(prefix, header.seq, `a generation-start chunk inside generation ${generation}`);
    decodeGenerationStart(chunk.payload, chunkKey(prefix, header.seq));
    return false;
  }
  if (isStart) throw corruptChunk(prefix, header.seq, `generation ${generation} starts here, but this is a data chunk`);
  return true;
}

async function applyChunks(storage: Storage, plan: RestorePlan, options: RestoreOptions): Promise<Applied> {
  const { store, prefix, signal } = options;
  const applied: Applied = { spans: [], chunks: 0, bytes: 0, lastSeq: plan.startSeq };
  const chunksTotal = plan.endSeq - plan.startSeq + 1;
  let objectBytes = 0;
  let previous: ChunkEnd | undefined;
  await using sink = new SegmentSink(storage);
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  for await (const chunk of streamChunks({ store, prefix, fromSeq: plan.startSeq, toSeq: plan.endSeq, prefetch, signal })) {
    if (!withinTarget(chunk, options)) break;
    const { header, payload } = chunk;
    if (checkPlace(chunk, plan, prefix)) {
      checkContinuity(previous, header, chunkKey(prefix, header.seq));
      await sink.write(header.segmentId, header.offset, payload);
      applied.spans.push({ seq: header.seq, segmentId: header.segmentId, offset: header.offset, length: payload.length });
      applied.bytes += payload.length;
      previous = endOf(header);
    }
    applied.chunks += 1;
    applied.lastSeq = header.seq;
    objectBytes += CHUNK_HEADER_SIZE + payload.length;
    options.onProgress?.({ chunks: applied.chunks, chunksTotal, bytes: objectBytes, bytesTotal: plan.objectBytes });
  }
  await sink.finish();
  return applied;
}

/**
 * Restores a generation of the archive under `prefix` into an empty directory (or `storage`):
 * downloads its chunks from the restore start (LAYOUT.md "Reading") in order with bounded
 * prefetch, verifies every chunk (CRCs, seq, generation, continuity; a hole is
 * `ERR_OBJECT_MISSING` naming the key), writes the segment files (fsynced, then the directory),
 * and verifies every record by opening the result with `@nori/wal`. Up to the restored point the
 * segments are byte-identical to the source log's; `Wal.open` reads the result.
 */
export async function restore(options: RestoreOptions): Promise<RestoreReport> {
  checkOptions(options);
  const { store, prefix, signal } = options;
  const destination = await openDestination(options);
  const catalog = await listGenerations({ store, prefix, signal });
  const plan = planRestore(catalog, options);
  const missing = firstMissingSeq(catalog, plan);
  if (missing !== undefined) {
    const key = chunkKey(prefix, missing);
    throw new ArchiveError(
      'ERR_OBJECT_MISSING',
      `chunk ${key} is missing (generation ${plan.generation.generation}, above retention marker ${catalog.trimmedBelow})`,
      { key },
    );
  }
  await destination.create();
  const { storage } = destination;
  try {
    return await writeAndVerify(storage, plan, options);
  } catch (error) {
    await removePartialRestore(storage);
    throw await explainMissing(error, options);
  }
}

/**
 * A chunk that was listed but is gone when read: if a retention marker now covers it, say so
 * (a retention ran during the restore; running it again restores from the new marker).
 */
async function explainMissing(error: unknown, options: RestoreOptions): Promise<unknown> {
  if (!isArchiveError(error, 'ERR_OBJECT_MISSING') || error.key === undefined) return error;
  const seq = parseChunkKey(options.prefix, error.key);
  const marker = await readRetentionMarker(options.store, options.prefix, options.signal).catch(() => 0);
  if (seq === undefined || marker <= seq) return error;
  return new ArchiveError(
    'ERR_OBJECT_MISSING',
    `chunk ${error.key} was removed by a retention that ran during the restore (retention marker now ${marker}); run the restore again`,
    { key: error.key, cause: error },
  );
}

/**
 * After a failed restore, removes the segment files it wrote (the destination was empty), so a
 * partial log is never mistaken for a restored one. Best effort: the restore's error is what counts.
 */
async function removePartialRestore(storage: Storage): Promise<void> {
  try {
    for (const name of await storage.list()) if (parseSegmentName(name) !== undefined) await storage.remove(name);
    await storage.syncDir();
  } catch {
    // The original failure is reported; leftover files are named by the next restore's refusal.
  }
}

async function writeAndVerify(storage: Storage, plan: RestorePlan, options: RestoreOptions): Promise<RestoreReport> {
  const { prefix, signal } = options;
  const applied = await applyChunks(storage, plan, options);
  const base = { generation: plan.generation.generation, startSeq: plan.startSeq, lastSeq: applied.lastSeq, chunks: applied.chunks, bytes: applied.bytes };
  if (applied.spans.length === 0) {
    const end = options.to ?? plan.generation.firstPosition ?? { segmentId: 0, offset: 0 };
    return { ...base, segments: 0, end, records: 0, tailBytesDropped: 0 };
  }
  const verified: VerifiedLog = await verifyRestoredLog({ storage, prefix, spans: applied.spans, to: options.to, signal });
  const segments = (await storage.list()).filter((name) => parseSegmentName(name) !== undefined).length;
  return { ...base, segments, end: verified.end, records: verified.records, tailBytesDropped: verified.tailBytesDropped };
}
