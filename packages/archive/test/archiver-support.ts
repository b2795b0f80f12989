import { RecordScanner } from '@nori/codec';
import { MemoryStorage, type Storage } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, Wal, segmentName, type WalConfig } from '@nori/wal';
import { expect } from 'vitest';
import {
  CHUNKS_FOLDER,
  ChunkKind,
  checkContinuity,
  decodeChunk,
  decodeGenerationStart,
  endOf,
  folderOf,
  parseChunkKey,
  type ArchiverOptions,
  type ChunkEnd,
  type ChunkHeader,
  type GenerationStartPayload,
  type ObjectStore,
  type RetryOptions,
} from '../src/index.js';
import { isArchiveError, type ArchiveErrorCode } from '../src/index.js';
import { Rng } from '@nori/test-support';

/** A seeded PRNG in [0, 1) for backoff jitter (the shared test {@link Rng}). */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Fast, deterministic retries for tests. */
export const FAST_RETRY: RetryOptions = { initialDelayMs: 1, maxDelayMs: 4, random: seededRandom(7) };

/** Archiver options for tests: a long interval (flush drives shipping), fast retries. */
export function testOptions(store: ObjectStore, extra: Partial<ArchiverOptions> = {}): ArchiverOptions {
  return { store, prefix: 'arch', intervalMs: 60_000, retry: FAST_RETRY, ...extra };
}

/** A WAL on memory storage with small segments (many rotations). */
export async function openWal(storage: Storage = new MemoryStorage(), config: Partial<WalConfig> = {}): Promise<Wal> {
  const { wal } = await Wal.open({ storage, fsync: 'always', maxSegmentSize: 4096, preallocate: false, ...config });
  return wal;
}

/** Appends `count` records with ~`size`-byte values; returns nothing (positions are not needed). */
export async function appendRecords(wal: Wal, count: number, options: { from?: number; size?: number } = {}): Promise<void> {
  const from = options.from ?? 0;
  for (let i = from; i < from + count; i++) {
    await wal.append({ key: `k${i}`, value: `v${i}-`.padEnd(options.size ?? 100, String.fromCharCode(97 + (i % 26))) });
  }
}

/** One decoded chunk of the archive. */
export interface ArchivedChunk {
  key: string;
  header: ChunkHeader;
  payload: Uint8Array;
  start?: GenerationStartPayload;
}

/** Reads and verifies every chunk under `prefix`, in seq order; seqs must be dense from `firstSeq`. */
export async function readChunks(store: ObjectStore, prefix: string, firstSeq = 0): Promise<ArchivedChunk[]> {
  const chunks: ArchivedChunk[] = [];
  for await (const { key } of store.list(folderOf(prefix, CHUNKS_FOLDER))) {
    const seq = parseChunkKey(prefix, key);
    if (seq === undefined) continue;
    expect(seq, `chunk seqs are dense (${key})`).toBe(firstSeq + chunks.length);
    const { bytes } = await store.get(key);
    const { header, payload } = decodeChunk(bytes, key, seq);
    const chunk: ArchivedChunk = { key, header, payload };
    if (header.kind === ChunkKind.generationStart) chunk.start = decodeGenerationStart(payload, key);
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Assembles generation `generation`'s segments from its data chunks, checking the continuity rule
 * and that every payload is a whole number of valid records.
 */
export function assembleGeneration(chunks: readonly ArchivedChunk[], generation: number): Map<number, Uint8Array> {
  const mine = chunks.filter((c) => c.header.generation === generation);
  expect(mine[0]?.header.kind, `generation ${generation} begins with a generation-start chunk`).toBe(ChunkKind.generationStart);
  const segments = new Map<number, Uint8Array[]>();
  let previous: ChunkEnd | undefined;
  for (const chunk of mine.slice(1)) {
    expect(chunk.header.kind).toBe(ChunkKind.data);
    checkContinuity(previous, chunk.header, chunk.key);
    previous = endOf(chunk.header);
    expectWholeRecords(chunk.payload, chunk.key);
    const parts = segments.get(chunk.header.segmentId) ?? [];
    parts.push(chunk.payload);
    segments.set(chunk.header.segmentId, parts);
  }
  return new Map([...segments].map(([id, parts]) => [id, Buffer.concat(parts)]));
}

/** Fails unless `payload` parses as consecutive whole records. */
export function expectWholeRecords(payload: Uint8Array, key: string): void {
  const scanner = new RecordScanner({ maxRecordSize: MAX_RECORD_SIZE_LIMIT });
  scanner.reset(payload);
  while (scanner.next() === 'ok');
  expect(scanner.status, `${key} holds whole records`).toBe('end');
}

/** The local segments' record bytes (logical size), by id. */
export async function localSegments(wal: Wal): Promise<Map<number, Uint8Array>> {
  const result = new Map<number, Uint8Array>();
  for (const segment of await wal.segments()) {
    const file = await wal.storage.open(segmentName(segment.id), { readOnly: true });
    const bytes = new Uint8Array(segment.size);
    await file.read(bytes, 0, segment.size, 0);
    await file.close();
    result.set(segment.id, bytes);
  }
  return result;
}

/** Expects the archived segments to equal the local ones byte for byte (empty local segments may be absent). */
export function expectSameSegments(archived: Map<number, Uint8Array>, local: Map<number, Uint8Array>): void {
  const nonEmpty = [...local].filter(([, bytes]) => bytes.length > 0);
  expect([...archived.keys()]).toEqual(nonEmpty.map(([id]) => id));
  for (const [id, bytes] of nonEmpty) {
    const copy = archived.get(id) as Uint8Array;
    expect(copy.length, `segment ${id} length`).toBe(bytes.length);
    expect(Buffer.compare(copy, bytes), `segment ${id} bytes`).toBe(0);
  }
}

/** Awaits `promise`, which must reject with an `ArchiveError` of `code`; returns that error. */
export async function expectCode(promise: Promise<unknown>, code: ArchiveErrorCode): Promise<Error & { key?: string }> {
  try {
    await promise;
  } catch (error) {
    if (!isArchiveError(error, code)) throw error;
    return error;
  }
  return expect.fail(`expected ${code}`);
}
