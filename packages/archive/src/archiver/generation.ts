import type { Storage } from '@nori/storage';
import { isArchiveError } from '../errors.js';
import {
  ChunkKind,
  chunkKey,
  decodeChunk,
  decodeGenerationStart,
  encodeChunk,
  encodeGenerationRecord,
  encodeGenerationStart,
  generationKey,
  type GenerationRecord,
} from '../layout/index.js';
import type { ObjectStore } from '../types.js';
import { createChunk, type CreatedChunk } from './chunk-writer.js';
import { withRetry, type RetryContext } from './retry.js';
import { writeArchiveSideFile, type ArchiveSideFile } from './side-file.js';

/** Writes a generation's index record (create-only; an existing one is left alone). */
async function putGenerationRecord(store: ObjectStore, prefix: string, record: Omit<GenerationRecord, 'format'>, context: RetryContext): Promise<void> {
  const key = generationKey(prefix, record.generation);
  const bytes = encodeGenerationRecord(record);
  await withRetry(context, 'put', key, async () => {
    try {
      await store.put(key, bytes, { ifNoneMatch: '*', signal: context.signal });
    } catch (error) {
      // Our own earlier attempt, or a record someone wrote before: the chunks are the truth.
      if (!isArchiveError(error, 'ERR_PRECONDITION_FAILED')) throw error;
    }
  });
}

/** A new generation to begin, as planned. */
export interface NewGeneration {
  generation: number;
  startSeq: number;
  parentGeneration: number | null;
  reason: ArchiveSideFile['reason'];
}

/**
 * Begins a generation (LAYOUT.md "Generations"): `archive.json` first (so a crash before the
 * chunk exists is recognised at the next start), then the generation-start chunk (conditional
 * create: losing the race is `ERR_FENCED`), then the index record.
 */
export async function beginGeneration(
  store: ObjectStore,
  prefix: string,
  storage: Storage,
  plan: NewGeneration,
  writer: { writerId: string; now: () => number },
  context: RetryContext,
): Promise<CreatedChunk> {
  const { generation, startSeq, parentGeneration, reason } = plan;
  await writeArchiveSideFile(storage, { prefix, generation, startSeq, writerId: writer.writerId, parentGeneration, reason });
  const createdAt = writer.now();
  const header = { kind: ChunkKind.generationStart, seq: startSeq, generation, segmentId: 0, offset: 0, createdAt, writerId: writer.writerId };
  const bytes = encodeChunk(header, encodeGenerationStart({ parentGeneration, reason }));
  const created = await createChunk(store, prefix, { seq: startSeq, writerId: writer.writerId, bytes }, context);
  const record = { generation, startSeq, createdAt: new Date(createdAt).toISOString(), writerId: writer.writerId, parentGeneration, reason };
  await putGenerationRecord(store, prefix, record, context);
  return created;
}

/**
 * Writes the index record of a resumed generation if it is missing (a crash between the
 * generation-start chunk and the record), from the generation-start chunk itself.
 */
export async function ensureGenerationRecord(store: ObjectStore, prefix: string, side: ArchiveSideFile, context: RetryContext): Promise<void> {
  const recordKey = generationKey(prefix, side.generation);
  try {
    await withRetry(context, 'head', recordKey, () => store.head(recordKey, { signal: context.signal }));
    return;
  } catch (error) {
    if (!isArchiveError(error, 'ERR_NOT_FOUND')) throw error;
  }
  const startKey = chunkKey(prefix, side.startSeq);
  let bytes: Uint8Array;
  try {
    bytes = (await withRetry(context, 'get', startKey, () => store.get(startKey, { signal: context.signal }))).bytes;
  } catch (error) {
    if (isArchiveError(error, 'ERR_NOT_FOUND')) return; // trimmed by retention: nothing to index from
    throw error;
  }
  const { header, payload } = decodeChunk(bytes, startKey, side.startSeq);
  const start = decodeGenerationStart(payload, startKey);
  const record = {
    generation: header.generation,
    startSeq: header.seq,
    createdAt: new Date(header.createdAt).toISOString(),
    writerId: header.writerId,
    parentGeneration: start.parentGeneration,
    reason: start.reason,
  };
  await putGenerationRecord(store, prefix, record, context);
}
