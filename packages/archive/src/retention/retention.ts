import { type Position } from '@nori/wal';
import { ArchiveError, isArchiveError } from '../errors.js';
import { CHUNK_HEADER_SIZE, ChunkKind } from '../layout/chunk.js';
import { GENERATIONS_FOLDER, TRIMMED_FOLDER, chunkKey, folderOf, parseGenerationKey, parseTrimmedKey, trimmedKey } from '../layout/keys.js';
import { fetchChunkHeader } from '../read/chunk-fetch.js';
import { listChunks, listGenerations, type ArchiveCatalog, type GenerationInfo } from '../read/catalog.js';
import type { ObjectStore } from '../types.js';

/** Options of {@link applyRetention}; at least one of the three rules is required. */
export interface RetentionOptions {
  store: ObjectStore;
  prefix: string;
  /** Keep the newest N generations (N >= 1); delete older ones whole. */
  keepGenerations?: number | undefined;
  /** Delete whole generations whose last chunk was cut before this time (never the newest). */
  olderThan?: Date | undefined;
  /**
   * Delete every older generation and, in the newest, the chunks of whole segments before this
   * position (the segment holding it, and the generation's last chunk, are kept).
   */
  before?: Position | undefined;
  /** Only report what would be deleted. */
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** What {@link applyRetention} deleted (or, dry run, would delete). */
export interface RetentionReport {
  dryRun: boolean;
  /** The retention marker before the call (0: none). */
  previousMarker: number;
  /** The marker: the first seq kept (it may be the previous one, when an interrupted retention is finished); undefined when there was nothing to delete. */
  marker: number | undefined;
  /** Chunk keys deleted, oldest first. */
  chunkKeys: string[];
  /** Payload bytes of those chunks. */
  bytes: number;
  /** Generation index records deleted (generations wholly below the marker). */
  recordKeys: string[];
  /** Older retention markers deleted (superseded by the new one). */
  markerKeys: string[];
}

function invalid(message: string): ArchiveError {
  return new ArchiveError('ERR_INVALID_ARGUMENT', message);
}

function checkRules(options: RetentionOptions): void {
  const { keepGenerations, olderThan, before } = options;
  if (keepGenerations === undefined && olderThan === undefined && before === undefined) {
    throw invalid('retention needs keepGenerations, olderThan or before');
  }
  if (keepGenerations !== undefined && !(Number.isSafeInteger(keepGenerations) && keepGenerations >= 1)) {
    throw invalid('keepGenerations must be an integer >= 1');
  }
  if (olderThan !== undefined && !(olderThan instanceof Date && !Number.isNaN(olderThan.getTime()))) throw invalid('olderThan must be a valid Date');
  const safe = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (before !== undefined && !(safe(before.segmentId) && safe(before.offset))) throw invalid('before must be a position of non-negative integers');
}

/** The first seq a generation restores from. */
function startOf(catalog: ArchiveCatalog, generation: GenerationInfo): number {
  return Math.max(catalog.trimmedBelow, generation.startSeq ?? generation.firstSeq);
}

/**
 * In the newest generation, the seq of the first data chunk of segment
 * `min(before.segmentId, last segment)`: every chunk below it belongs to whole earlier segments.
 * Binary search over chunk headers (segment ids never decrease along the seqs).
 */
async function segmentStartSeq(store: ObjectStore, catalog: ArchiveCatalog, newest: GenerationInfo, before: Position, signal?: AbortSignal): Promise<number> {
  const { chunks, prefix } = catalog;
  let low = chunks.findIndex((c) => c.seq >= startOf(catalog, newest));
  let high = chunks.findIndex((c) => c.seq === newest.lastSeq);
  const last = await fetchChunkHeader(store, prefix, newest.lastSeq, signal);
  if (last.kind !== ChunkKind.data) return startOf(catalog, newest);
  const segment = Math.min(before.segmentId, last.segmentId);
  // Invariant: the chunk at `high` is a data chunk of a segment >= `segment`.
  while (low < high) {
    const middle = (low + high) >>> 1;
    const header = await fetchChunkHeader(store, prefix, chunks[middle]!.seq, signal);
    if (header.kind === ChunkKind.data && header.segmentId >= segment) high = middle;
    else low = middle + 1;
  }
  return chunks[high]!.seq;
}

async function targetMarker(options: RetentionOptions, catalog: ArchiveCatalog): Promise<number> {
  const { generations } = catalog;
  const newest = generations[generations.length - 1] as GenerationInfo;
  let marker = catalog.trimmedBelow;
  const { keepGenerations, olderThan, before } = options;
  if (keepGenerations !== undefined && generations.length > keepGenerations) {
    marker = Math.max(marker, startOf(catalog, generations[generations.length - keepGenerations] as GenerationInfo));
  }
  if (olderThan !== undefined) {
    const kept = generations.find((g) => g.lastCreatedAt.getTime() >= olderThan.getTime()) ?? newest;
    marker = Math.max(marker, startOf(catalog, kept));
  }
  if (before !== undefined) marker = Math.max(marker, await segmentStartSeq(options.store, catalog, newest, before, options.signal));
  return marker;
}

async function listKeys(store: ObjectStore, folder: string, signal?: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list(folder, { signal })) keys.push(key);
  return keys;
}

/** Keys below `marker`: chunks (oldest first), records of generations wholly below it, older markers. */
async function planDeletes(
  options: RetentionOptions,
  catalog: ArchiveCatalog,
  marker: number,
): Promise<Omit<RetentionReport, 'dryRun' | 'previousMarker' | 'marker'>> {
  const { store, prefix, signal } = options;
  const below = (await listChunks(store, prefix, signal)).filter((c) => c.seq < marker);
  const keptGeneration = catalog.generations.find((g) => g.lastSeq >= marker)?.generation ?? Number.POSITIVE_INFINITY;
  const records = (await listKeys(store, folderOf(prefix, GENERATIONS_FOLDER), signal)).filter((key) => {
    const generation = parseGenerationKey(prefix, key);
    return generation !== undefined && generation < keptGeneration;
  });
  const markers = (await listKeys(store, folderOf(prefix, TRIMMED_FOLDER), signal)).filter((key) => (parseTrimmedKey(prefix, key) ?? marker) < marker);
  return {
    chunkKeys: below.map((c) => chunkKey(prefix, c.seq)),
    bytes: below.reduce((sum, c) => sum + Math.max(0, c.size - CHUNK_HEADER_SIZE), 0),
    recordKeys: records,
    markerKeys: markers,
  };
}

/**
 * Remote retention exactly as LAYOUT.md "Retention": deletes only a prefix of the seq space
 * (whole older generations, or whole segments of the newest one; never its last chunk). It
 * first creates the marker `P/trimmed/<first seq kept>`, then deletes the chunks below it
 * oldest first, then the index records of generations wholly below it and older markers.
 * Restores of what is kept keep working; anything missing above the marker is still an error.
 */
export async function applyRetention(options: RetentionOptions): Promise<RetentionReport> {
  checkRules(options);
  const { store, prefix, signal } = options;
  const catalog = await listGenerations({ store, prefix, signal });
  const dryRun = options.dryRun === true;
  const empty = { dryRun, previousMarker: catalog.trimmedBelow, marker: undefined, chunkKeys: [], bytes: 0, recordKeys: [], markerKeys: [] };
  if (catalog.generations.length === 0) return empty;
  const marker = await targetMarker(options, catalog);
  // Also below an unchanged marker: a retention interrupted after its marker is finished here.
  const plan = await planDeletes(options, catalog, marker);
  if (plan.chunkKeys.length + plan.recordKeys.length + plan.markerKeys.length === 0) return empty;
  const report: RetentionReport = { dryRun, previousMarker: catalog.trimmedBelow, marker, ...plan };
  if (dryRun) return report;
  if (marker > catalog.trimmedBelow) {
    try {
      await store.put(trimmedKey(prefix, marker), new Uint8Array(0), { ifNoneMatch: '*', signal });
    } catch (error) {
      if (!isArchiveError(error, 'ERR_PRECONDITION_FAILED')) throw error;
    }
  }
  for (const key of [...plan.chunkKeys, ...plan.recordKeys, ...plan.markerKeys]) await store.delete(key, { signal });
  return report;
}
