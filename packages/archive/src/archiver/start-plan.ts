import { isArchiveError } from '../errors.js';
import { ChunkKind, chunkKey, decodeChunk, decodeGenerationRecord, generationKey, type ChunkHeader, type GenerationReason } from '../layout/index.js';
import type { ObjectStore } from '../types.js';
import { fencedError } from './errors.js';
import type { ArchiveTail } from './inspect.js';
import { withRetry, type RetryContext } from './retry.js';
import type { ArchiveSideFile } from './side-file.js';

/** What `Archiver.start` does (LAYOUT.md "Writing", step 2). */
export type StartPlan =
  | {
      kind: 'resume';
      generation: number;
      nextSeq: number;
      /** The last chunk of the generation (data: shipping continues at its end; generation-start: with the snapshot). */
      last: ChunkHeader;
      side: ArchiveSideFile;
    }
  | { kind: 'new'; generation: number; startSeq: number; parentGeneration: number | null; reason: GenerationReason };

/** Inputs of {@link planStart}. */
export interface StartInputs {
  store: ObjectStore;
  prefix: string;
  tail: ArchiveTail;
  side: ArchiveSideFile | undefined;
  takeover: boolean;
  context: RetryContext;
  /** True when the local log holds the bytes of data chunk `header` (its payload CRC32C). */
  localMatches: (header: ChunkHeader) => Promise<boolean>;
}

/** undefined for a missing object (a retryable failure is retried, others are thrown). */
async function getIfPresent(store: ObjectStore, key: string, context: RetryContext): Promise<Uint8Array | undefined> {
  try {
    return (await withRetry(context, 'get', key, () => store.get(key, { signal: context.signal }))).bytes;
  } catch (error) {
    if (isArchiveError(error, 'ERR_NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * True when `side` (this WAL's `archive.json`) proves the generation it names is ours: its
 * generation-start chunk, or (once retention deleted that) its index record, carries the writer
 * id recorded before the chunk was created.
 */
export async function ownsGeneration(store: ObjectStore, prefix: string, side: ArchiveSideFile, context: RetryContext): Promise<boolean> {
  const startKey = chunkKey(prefix, side.startSeq);
  const chunk = await getIfPresent(store, startKey, context);
  if (chunk !== undefined) {
    const { header } = decodeChunk(chunk, startKey, side.startSeq);
    return header.kind === ChunkKind.generationStart && header.generation === side.generation && header.writerId === side.writerId;
  }
  const recordKey = generationKey(prefix, side.generation);
  const record = await getIfPresent(store, recordKey, context);
  if (record === undefined) return false;
  const decoded = decodeGenerationRecord(record, recordKey);
  return decoded.writerId === side.writerId && decoded.startSeq === side.startSeq;
}

/**
 * Resume our own generation when the local log still matches its last chunk; start a new one for
 * an empty prefix (`new-log`), a local log that no longer matches (`diverged`), our own start that
 * a crash interrupted before its chunk existed (redone as planned), or another primary's
 * generation with `takeover` (`takeover`); anything else is `ERR_FENCED` before any write.
 */
export async function planStart(inputs: StartInputs): Promise<StartPlan> {
  const { tail, prefix, takeover } = inputs;
  const side = inputs.side?.prefix === prefix ? inputs.side : undefined;
  const generation = tail.maxGeneration + 1;
  const fresh = (parentGeneration: number | null, reason: GenerationReason): StartPlan => ({
    kind: 'new',
    generation,
    startSeq: tail.nextSeq,
    parentGeneration,
    reason,
  });
  const last = tail.last?.header;
  if (last === undefined) return fresh(null, 'new-log');
  if (side !== undefined && side.generation === last.generation && (await ownsGeneration(inputs.store, prefix, side, inputs.context))) {
    if (last.kind === ChunkKind.generationStart || (await inputs.localMatches(last))) {
      return { kind: 'resume', generation: last.generation, nextSeq: tail.nextSeq, last, side };
    }
    return fresh(last.generation, 'diverged');
  }
  // Our archive.json was written, then the process died before the generation-start chunk
  // existed, and nothing was written since: the decision made then still holds.
  if (side !== undefined && side.generation === generation && side.startSeq === tail.nextSeq) {
    return fresh(side.parentGeneration, side.reason);
  }
  if (takeover) return fresh(last.generation, 'takeover');
  throw fencedError(
    `archive prefix ${JSON.stringify(prefix)} belongs to generation ${last.generation} of another primary (chunk ${tail.last?.key ?? ''}); ` +
      'start with takeover: true to fence it and continue in a new generation',
    tail.last?.key,
  );
}
