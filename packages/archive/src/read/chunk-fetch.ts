import { ArchiveError, isArchiveError } from '../errors.js';
import { CHUNK_HEADER_SIZE, decodeChunk, decodeChunkHeader, type Chunk, type ChunkHeader } from '../layout/chunk.js';
import { chunkKey } from '../layout/keys.js';
import type { GetResult, ObjectInfo, ObjectStore } from '../types.js';

/**
 * Maps a store failure on a chunk the layout requires: a missing key is `ERR_OBJECT_MISSING`, bytes
 * that fail their object CRC32C (or carry none) are `ERR_ARCHIVE_CORRUPT`; both name the key.
 */
function requiredChunkError(error: unknown, key: string): unknown {
  if (isArchiveError(error, 'ERR_NOT_FOUND') || isArchiveError(error, 'ERR_INVALID_RANGE')) {
    const what = isArchiveError(error, 'ERR_NOT_FOUND') ? 'is missing' : 'is shorter than a chunk header';
    return new ArchiveError(error.code === 'ERR_NOT_FOUND' ? 'ERR_OBJECT_MISSING' : 'ERR_ARCHIVE_CORRUPT', `chunk ${key} ${what}`, {
      key,
      cause: error,
    });
  }
  if (isArchiveError(error, 'ERR_CHECKSUM_MISMATCH') || isArchiveError(error, 'ERR_CHECKSUM_MISSING')) {
    return new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: ${error.message}`, { key, cause: error });
  }
  return error;
}

/** Reads and fully verifies chunk `seq` (object CRC32C, header, payload CRC, seq). */
export async function fetchChunk(store: ObjectStore, prefix: string, seq: number, signal?: AbortSignal): Promise<Chunk> {
  const key = chunkKey(prefix, seq);
  let bytes: Uint8Array;
  try {
    bytes = (await store.get(key, { signal })).bytes;
  } catch (error) {
    throw requiredChunkError(error, key);
  }
  return decodeChunk(bytes, key, seq);
}

/** A chunk header read on its own, with what the store reports about the whole object. */
export interface ChunkHead {
  header: ChunkHeader;
  /** The whole object's size and CRC32C (from the store, not from the ranged bytes). */
  info: ObjectInfo;
}

/**
 * Reads only the header of chunk `seq` (one ranged read) and checks it names the same seq; also
 * returns the store's info on the whole object (size, CRC32C).
 */
export async function fetchChunkHead(store: ObjectStore, prefix: string, seq: number, signal?: AbortSignal): Promise<ChunkHead> {
  const key = chunkKey(prefix, seq);
  let result: GetResult;
  try {
    result = await store.get(key, { signal, range: { offset: 0, length: CHUNK_HEADER_SIZE } });
  } catch (error) {
    throw requiredChunkError(error, key);
  }
  const header = decodeChunkHeader(result.bytes, key);
  if (header.seq !== seq) {
    throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: header seq ${header.seq} does not match the key's ${seq}`, { key });
  }
  return { header, info: result.info };
}

/** Reads only the header of chunk `seq` (one ranged read) and checks it names the same seq. */
export async function fetchChunkHeader(store: ObjectStore, prefix: string, seq: number, signal?: AbortSignal): Promise<ChunkHeader> {
  return (await fetchChunkHead(store, prefix, seq, signal)).header;
}
