import { crc32c } from '@nori/codec';
import { ArchiveError } from '../errors.js';

/** ASCII `NORIARCH`: the first 8 bytes of every chunk object. */
export const CHUNK_MAGIC = new Uint8Array([0x4e, 0x4f, 0x52, 0x49, 0x41, 0x52, 0x43, 0x48]);
/** The layout version this code writes and reads. */
export const LAYOUT_VERSION = 1;
/** Size of a chunk header in bytes. */
export const CHUNK_HEADER_SIZE = 80;
/** Size of a chunk's writer id in bytes. */
export const WRITER_ID_SIZE = 16;

/** Chunk kinds (header field `kind`). */
export const ChunkKind = {
  /** Raw bytes of one segment. */
  data: 1,
  /** First chunk of a generation; JSON payload ({@link GenerationStartPayload}). */
  generationStart: 2,
} as const;
/** A chunk kind value. */
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];

const OFFSET = {
  version: 8,
  kind: 10,
  payloadLength: 12,
  seq: 16,
  generation: 24,
  segmentId: 32,
  offset: 40,
  createdAt: 48,
  writerId: 56,
  payloadCrc: 72,
  headerCrc: 76,
} as const;

/** The decoded header of a chunk object (LAYOUT.md "Chunk objects"). */
export interface ChunkHeader {
  kind: ChunkKind;
  payloadLength: number;
  seq: number;
  generation: number;
  /** Data chunks: the segment the payload belongs to; generation-start: 0. */
  segmentId: number;
  /** Data chunks: the payload's byte offset in the segment; generation-start: 0. */
  offset: number;
  /** Milliseconds since the Unix epoch when the chunk was cut. */
  createdAt: number;
  /** 32 lowercase hex digits identifying the archiver instance. */
  writerId: string;
  payloadCrc32c: number;
}

/** A decoded chunk: header plus a view of its payload. */
export interface Chunk {
  header: ChunkHeader;
  payload: Uint8Array;
}

function corrupt(key: string, reason: string): ArchiveError {
  return new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: ${reason}`, { key });
}

function writeU64(view: DataView, at: number, value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `chunk ${field} must be a safe non-negative integer, got ${value}`);
  }
  view.setBigUint64(at, BigInt(value), true);
}

function readU64(view: DataView, at: number, field: string, key: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(key, `${field} ${value} is beyond 2^53 - 1`);
  return Number(value);
}

/** Largest payload a chunk header can describe (`payloadLength` is 32 bits). */
export const MAX_CHUNK_PAYLOAD = 0xffff_ffff;

/**
 * Writes the header of a chunk object whose payload already sits at `chunk[CHUNK_HEADER_SIZE..]`
 * (lengths and CRCs are computed from it), so a writer can read a payload straight into the
 * object's buffer. Returns `chunk`.
 */
export function writeChunkHeader(chunk: Uint8Array, header: Omit<ChunkHeader, 'payloadLength' | 'payloadCrc32c'>): Uint8Array {
  const payloadLength = chunk.length - CHUNK_HEADER_SIZE;
  if (payloadLength < 0 || payloadLength > MAX_CHUNK_PAYLOAD) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `a chunk payload must be 0..${MAX_CHUNK_PAYLOAD} bytes, got ${payloadLength}`);
  }
  const view = new DataView(chunk.buffer, chunk.byteOffset, CHUNK_HEADER_SIZE);
  chunk.set(CHUNK_MAGIC, 0);
  view.setUint16(OFFSET.version, LAYOUT_VERSION, true);
  view.setUint16(OFFSET.kind, header.kind, true);
  view.setUint32(OFFSET.payloadLength, payloadLength, true);
  writeU64(view, OFFSET.seq, header.seq, 'seq');
  writeU64(view, OFFSET.generation, header.generation, 'generation');
  writeU64(view, OFFSET.segmentId, header.segmentId, 'segmentId');
  writeU64(view, OFFSET.offset, header.offset, 'offset');
  writeU64(view, OFFSET.createdAt, header.createdAt, 'createdAt');
  chunk.set(parseWriterId(header.writerId), OFFSET.writerId);
  view.setUint32(OFFSET.payloadCrc, crc32c(chunk.subarray(CHUNK_HEADER_SIZE)) >>> 0, true);
  view.setUint32(OFFSET.headerCrc, crc32c(chunk.subarray(0, OFFSET.headerCrc)) >>> 0, true);
  return chunk;
}

/** Encodes a chunk object: header fields (without lengths/CRCs, which are computed) + payload. */
export function encodeChunk(header: Omit<ChunkHeader, 'payloadLength' | 'payloadCrc32c'>, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(CHUNK_HEADER_SIZE + payload.length);
  bytes.set(payload, CHUNK_HEADER_SIZE);
  return writeChunkHeader(bytes, header);
}

/**
 * Decodes and checks a chunk header from the first {@link CHUNK_HEADER_SIZE} bytes of an object
 * (a ranged read is enough). `ERR_ARCHIVE_CORRUPT` naming `key` on any mismatch.
 */
export function decodeChunkHeader(bytes: Uint8Array, key: string): ChunkHeader {
  if (bytes.length < CHUNK_HEADER_SIZE) throw corrupt(key, `${bytes.length} bytes, shorter than a header`);
  for (let i = 0; i < CHUNK_MAGIC.length; i++) {
    if (bytes[i] !== CHUNK_MAGIC[i]) throw corrupt(key, 'bad magic (not a nori archive chunk)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_SIZE);
  if (view.getUint32(OFFSET.headerCrc, true) !== crc32c(bytes.subarray(0, OFFSET.headerCrc)) >>> 0) {
    throw corrupt(key, 'header CRC32C mismatch');
  }
  const version = view.getUint16(OFFSET.version, true);
  if (version !== LAYOUT_VERSION) throw corrupt(key, `layout version ${version} is not supported (this code reads ${LAYOUT_VERSION})`);
  const kind = view.getUint16(OFFSET.kind, true);
  if (kind !== ChunkKind.data && kind !== ChunkKind.generationStart) throw corrupt(key, `unknown chunk kind ${kind}`);
  return {
    kind,
    payloadLength: view.getUint32(OFFSET.payloadLength, true),
    seq: readU64(view, OFFSET.seq, 'seq', key),
    generation: readU64(view, OFFSET.generation, 'generation', key),
    segmentId: readU64(view, OFFSET.segmentId, 'segmentId', key),
    offset: readU64(view, OFFSET.offset, 'offset', key),
    createdAt: readU64(view, OFFSET.createdAt, 'createdAt', key),
    writerId: Buffer.from(bytes.subarray(OFFSET.writerId, OFFSET.writerId + WRITER_ID_SIZE)).toString('hex'),
    payloadCrc32c: view.getUint32(OFFSET.payloadCrc, true),
  };
}

/**
 * Decodes a whole chunk object and verifies it: header, payload length and CRC32C, and that the
 * header's seq is `expectedSeq` (the seq in its key). The payload is a view into `bytes`.
 */
export function decodeChunk(bytes: Uint8Array, key: string, expectedSeq: number): Chunk {
  const header = decodeChunkHeader(bytes, key);
  if (header.seq !== expectedSeq) throw corrupt(key, `header seq ${header.seq} does not match the key's ${expectedSeq}`);
  if (bytes.length !== CHUNK_HEADER_SIZE + header.payloadLength) {
    throw corrupt(key, `object is ${bytes.length} bytes, header says ${CHUNK_HEADER_SIZE + header.payloadLength}`);
  }
  const payload = bytes.subarray(CHUNK_HEADER_SIZE);
  if (crc32c(payload) >>> 0 !== header.payloadCrc32c) throw corrupt(key, 'payload CRC32C mismatch');
  if (header.kind === ChunkKind.data && header.payloadLength === 0 && header.offset !== 0) {
    throw corrupt(key, `empty data chunk at offset ${header.offset} (only an empty-segment chunk, at offset 0, may be empty)`);
  }
  return { header, payload };
}

/** A new random writer id (32 lowercase hex digits). */
export function newWriterId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(WRITER_ID_SIZE))).toString('hex');
}

function parseWriterId(id: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(id)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `writerId must be 32 lowercase hex digits, got ${JSON.stringify(id)}`);
  }
  return Buffer.from(id, 'hex');
}
