import {
  CHUNKS_FOLDER,
  GENERATIONS_FOLDER,
  TRIMMED_FOLDER,
  chunkKey,
  folderOf,
  parseChunkKey,
  parseGenerationKey,
  parseTrimmedKey,
  type ChunkHeader,
} from '../layout/index.js';
import { fetchChunkHeader } from '../read/chunk-fetch.js';
import type { ObjectStore } from '../types.js';
import { withRetry, type RetryContext } from './retry.js';

/** What the archiver learns from the store before it writes (LAYOUT.md "Writing", step 1). */
export interface ArchiveTail {
  /** The chunk with the highest seq, if any. */
  last: { key: string; header: ChunkHeader } | undefined;
  /** The seq the next chunk gets (dense, never reused: after the last chunk or the retention marker). */
  nextSeq: number;
  /** The highest generation in the archive (0 for an empty prefix). */
  maxGeneration: number;
}

/** The largest number `parse` finds among the keys under `folder`, or undefined. */
async function highestUnder(
  store: ObjectStore,
  prefix: string,
  folder: string,
  parse: (prefix: string, key: string) => number | undefined,
  context: RetryContext,
): Promise<number | undefined> {
  const start = folderOf(prefix, folder);
  return withRetry(context, 'list', start, async () => {
    let highest: number | undefined;
    for await (const { key } of store.list(start, { signal: context.signal })) {
      const value = parse(prefix, key);
      if (value !== undefined && (highest === undefined || value > highest)) highest = value;
    }
    return highest;
  });
}

/** Reads the archive's tail: its last chunk header, next seq and highest generation. */
export async function inspectArchive(store: ObjectStore, prefix: string, context: RetryContext): Promise<ArchiveTail> {
  const lastSeq = await highestUnder(store, prefix, CHUNKS_FOLDER, parseChunkKey, context);
  const trimmed = await highestUnder(store, prefix, TRIMMED_FOLDER, parseTrimmedKey, context);
  const recorded = await highestUnder(store, prefix, GENERATIONS_FOLDER, parseGenerationKey, context);
  let last: ArchiveTail['last'];
  if (lastSeq !== undefined) {
    const header = await withRetry(context, 'get', chunkKey(prefix, lastSeq), () => fetchChunkHeader(store, prefix, lastSeq, context.signal));
    last = { key: chunkKey(prefix, lastSeq), header };
  }
  const nextSeq = last === undefined ? (trimmed ?? 0) : last.header.seq + 1;
  const maxGeneration = Math.max(last?.header.generation ?? 0, recorded ?? 0);
  return { last, nextSeq, maxGeneration };
}
