import type { Position } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import { CHUNK_HEADER_SIZE, ChunkKind, type ChunkHeader } from '../layout/chunk.js';
import { positionAfter } from '../layout/continuity.js';
import { decodeGenerationRecord, decodeGenerationStart, type GenerationReason, type GenerationRecord } from '../layout/generation.js';
import { CHUNKS_FOLDER, GENERATIONS_FOLDER, TRIMMED_FOLDER, chunkKey, folderOf, parseChunkKey, parseGenerationKey, parseTrimmedKey } from '../layout/keys.js';
import type { ObjectStore } from '../types.js';
import { fetchChunk, fetchChunkHeader } from './chunk-fetch.js';
import { DEFAULT_READ_CONCURRENCY, mapLimited } from './map-limited.js';

/** A chunk object as listed: its seq and object size (header included). */
export interface ListedChunk {
  seq: number;
  size: number;
}

/** One generation of an archive, as {@link listGenerations} describes it. */
export interface GenerationInfo {
  generation: number;
  /** The generation it continued (`null` for a new log); undefined when no record or start chunk says. */
  parentGeneration: number | null | undefined;
  /** Why it started; undefined when neither its index record nor its start chunk is left. */
  reason: GenerationReason | undefined;
  /** Seq of its generation-start chunk, when known (index record or the chunk itself). */
  startSeq: number | undefined;
  /** First and last seq of its chunks present at or above the retention marker. */
  firstSeq: number;
  lastSeq: number;
  /** Chunks present (at or above the retention marker) and their payload bytes. */
  chunks: number;
  bytes: number;
  /** Seqs between its restore start and `lastSeq` that are absent (a hole: restore fails). */
  missingChunks: number;
  /** Where its first retained data chunk starts; undefined when it has no data chunk yet. */
  firstPosition: Position | undefined;
  /** Just past its last archived byte; undefined when it has no data chunk yet. */
  endPosition: Position | undefined;
  /** `createdAt` of its first and last retained chunk. */
  firstCreatedAt: Date;
  lastCreatedAt: Date;
  /** `createdAt` of its first retained data chunk (the earliest time it can restore to); undefined without data. */
  firstDataCreatedAt: Date | undefined;
  /** True when retention removed its start (it restores from the retention marker). */
  trimmed: boolean;
  /** True when `P/generations/<generation>.json` exists. */
  hasRecord: boolean;
}

/** What an archive prefix holds (see {@link listGenerations}). */
export interface ArchiveCatalog {
  prefix: string;
  /** The highest retention marker: chunks below this seq may be gone on purpose (0: none). */
  trimmedBelow: number;
  /** Generations oldest first. */
  generations: GenerationInfo[];
  /** Every chunk at or above `trimmedBelow`, by seq. */
  chunks: ListedChunk[];
}

/** Options of {@link listGenerations}. */
export interface ListGenerationsOptions {
  store: ObjectStore;
  /** The archive prefix (LAYOUT.md `P`; may be empty). */
  prefix: string;
  signal?: AbortSignal | undefined;
}

interface Run {
  generation: number;
  from: number;
  to: number;
  first: ChunkHeader;
  last: ChunkHeader;
}

/** The highest retention marker under `prefix` (0 when there is none). */
export async function readRetentionMarker(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<number> {
  let marker = 0;
  for await (const { key } of store.list(folderOf(prefix, TRIMMED_FOLDER), { signal })) {
    marker = Math.max(marker, parseTrimmedKey(prefix, key) ?? 0);
  }
  return marker;
}

/** Every chunk under `prefix`, by seq (keys that are not chunk keys are ignored). */
export async function listChunks(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<ListedChunk[]> {
  const chunks: ListedChunk[] = [];
  for await (const { key, size } of store.list(folderOf(prefix, CHUNKS_FOLDER), { signal })) {
    const seq = parseChunkKey(prefix, key);
    if (seq !== undefined) chunks.push({ seq, size });
  }
  return chunks;
}

async function readGenerationRecords(store: ObjectStore, prefix: string, signal?: AbortSignal): Promise<Map<number, GenerationRecord>> {
  const keys: [number, string][] = [];
  for await (const { key } of store.list(folderOf(prefix, GENERATIONS_FOLDER), { signal })) {
    const generation = parseGenerationKey(prefix, key);
    if (generation !== undefined) keys.push([generation, key]);
  }
  const records = await mapLimited(keys, DEFAULT_READ_CONCURRENCY, async ([generation, key]) => {
    const record = decodeGenerationRecord((await store.get(key, { signal })).bytes, key);
    if (record.generation !== generation) {
      throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `generation record ${key} names generation ${record.generation}`, { key });
    }
    return record;
  });
  return new Map(records.map((record) => [record.generation, record]));
}

/**
 * Splits the listed chunks into runs of one generation each with O(generations x log chunks)
 * header reads: a generation's chunks are a contiguous seq range, so where the headers at both
 * ends of a range agree, so does everything between them (restore checks every chunk anyway).
 */
async function findRuns(store: ObjectStore, prefix: string, chunks: ListedChunk[], signal?: AbortSignal): Promise<Run[]> {
  const headers = new Map<number, Promise<ChunkHeader>>();
  const header = (index: number): Promise<ChunkHeader> => {
    let read = headers.get(index);
    if (read === undefined) {
      read = fetchChunkHeader(store, prefix, (chunks[index] as ListedChunk).seq, signal);
      headers.set(index, read);
    }
    return read;
  };
  const runs: Run[] = [];
  const split = async (from: number, to: number): Promise<void> => {
    const [first, last] = await Promise.all([header(from), header(to)]);
    if (first.generation > last.generation) {
      throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${chunkKey(prefix, last.seq)}: generation ${last.generation} after generation ${first.generation}`, {
        key: chunkKey(prefix, last.seq),
      });
    }
    if (first.generation === last.generation) {
      const previous = runs[runs.length - 1];
      if (previous !== undefined && previous.generation === first.generation) Object.assign(previous, { to, last });
      else runs.push({ generation: first.generation, from, to, first, last });
      return;
    }
    if (to === from + 1) {
      await split(from, from);
      await split(to, to);
      return;
    }
    const middle = (from + to) >>> 1;
    await split(from, middle);
    await split(middle, to);
  };
  if (chunks.length > 0) await split(0, chunks.length - 1);
  return runs;
}

async function describeRun(
  store: ObjectStore,
  prefix: string,
  chunks: ListedChunk[],
  run: Run,
  context: { marker: number; record: GenerationRecord | undefined; signal?: AbortSignal | undefined },
): Promise<GenerationInfo> {
  const { record, marker, signal } = context;
  const startsHere = run.first.kind === ChunkKind.generationStart;
  const startSeq = record?.startSeq ?? (startsHere ? run.first.seq : undefined);
  let parentGeneration: number | null | undefined = record?.parentGeneration;
  let reason: GenerationReason | undefined = record?.reason;
  const readStart = async (): Promise<void> => {
    if (record !== undefined || !startsHere) return;
    const key = chunkKey(prefix, run.first.seq);
    ({ parentGeneration, reason } = decodeGenerationStart((await fetchChunk(store, prefix, run.first.seq, signal)).payload, key));
  };
  const readFirstData = (): Promise<ChunkHeader> =>
    startsHere && run.to > run.from ? fetchChunkHeader(store, prefix, (chunks[run.from + 1] as ListedChunk).seq, signal) : Promise.resolve(run.first);
  const [, firstData] = await Promise.all([readStart(), readFirstData()]);
  const hasData = firstData.kind === ChunkKind.data;
  const listed = chunks.slice(run.from, run.to + 1);
  const restoreStart = Math.max(marker, startSeq ?? run.first.seq);
  return {
    generation: run.generation,
    parentGeneration,
    reason,
    startSeq,
    firstSeq: run.first.seq,
    lastSeq: run.last.seq,
    chunks: listed.length,
    bytes: listed.reduce((sum, chunk) => sum + Math.max(0, chunk.size - CHUNK_HEADER_SIZE), 0),
    missingChunks: run.last.seq - restoreStart + 1 - listed.filter((chunk) => chunk.seq >= restoreStart).length,
    firstPosition: hasData ? { segmentId: firstData.segmentId, offset: firstData.offset } : undefined,
    endPosition: run.last.kind === ChunkKind.data ? positionAfter(run.last) : undefined,
    firstCreatedAt: new Date(run.first.createdAt),
    lastCreatedAt: new Date(run.last.createdAt),
    firstDataCreatedAt: hasData ? new Date(firstData.createdAt) : undefined,
    trimmed: startSeq === undefined ? marker > 0 && run.first.seq === marker : startSeq < marker,
    hasRecord: record !== undefined,
  };
}

/**
 * Describes the generations of the archive under `prefix`: seq ranges, positions, time ranges,
 * sizes, retention. Reads the listing, the index records and a few chunk headers (ranged reads);
 * a generation whose index record is missing is found from its chunks' headers.
 */
export async function listGenerations(options: ListGenerationsOptions): Promise<ArchiveCatalog> {
  const { store, prefix, signal } = options;
  // Independent listings at once: on a real store each round trip costs more than its bytes.
  const [trimmedBelow, records, listed] = await Promise.all([
    readRetentionMarker(store, prefix, signal),
    readGenerationRecords(store, prefix, signal),
    listChunks(store, prefix, signal),
  ]);
  const chunks = listed.filter((chunk) => chunk.seq >= trimmedBelow);
  const runs = await findRuns(store, prefix, chunks, signal);
  const generations = await mapLimited(runs, DEFAULT_READ_CONCURRENCY, (run) =>
    describeRun(store, prefix, chunks, run, { marker: trimmedBelow, record: records.get(run.generation), signal }),
  );
  return { prefix, trimmedBelow, generations, chunks };
}
