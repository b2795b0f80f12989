import { walkRecordFrames } from '@nori/codec';
import type { Storage } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, segmentName } from '@nori/wal';
import { CHUNK_HEADER_SIZE } from '../layout/index.js';

/**
 * Reads bytes `[offset, offset + length)` of segment `segmentId` raw, through the WAL's storage,
 * into a new buffer after `headroom` bytes (left for the caller to fill, e.g. a chunk header).
 */
export async function readSegmentRange(storage: Storage, segmentId: number, offset: number, length: number, headroom = 0): Promise<Uint8Array> {
  const file = await storage.open(segmentName(segmentId), { readOnly: true });
  try {
    // Every byte is overwritten (the read must fill it, the header is written later): no zero-fill.
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(headroom + length).buffer, 0, headroom + length);
    const read = await file.read(bytes, headroom, length, offset);
    if (read !== length) {
      throw new Error(`${segmentName(segmentId)} ended after ${offset + read} bytes, expected at least ${offset + length}`);
    }
    return bytes;
  } finally {
    await file.close();
  }
}

/**
 * The end of the last whole record in `bytes` (which start at a record boundary), or, when not
 * even the first record fits, the length that record needs; undefined when the bytes do not
 * parse as records (e.g. a region a salvage recovery skipped). Framing only: the bytes are the
 * log's durable bytes, and every reader of the chunk checks every record's CRC (a CRC pass here
 * would cost the worker as much as the chunk's own CRC and decide nothing).
 */
export function lastRecordBoundary(bytes: Uint8Array): { cut: number } | { needed: number } | undefined {
  const frames = walkRecordFrames(bytes, 0, bytes.length, { maxRecordSize: MAX_RECORD_SIZE_LIMIT });
  if (frames.end > 0) return { cut: frames.end };
  if (frames.stopped === 'incomplete' && !frames.tooLarge) return { needed: frames.needed };
  return undefined;
}

/**
 * The next data chunk's object buffer: {@link CHUNK_HEADER_SIZE} bytes of room for its header,
 * then its payload, bytes `[start, end)` of a segment (both record boundaries) cut at the last
 * record boundary within `maxChunkBytes`. A record longer than the limit is a chunk of its own;
 * bytes that do not parse as records are shipped to `end` uncut.
 */
export async function readNextChunk(storage: Storage, segmentId: number, start: number, end: number, maxChunkBytes: number): Promise<Uint8Array> {
  let want = maxChunkBytes;
  for (;;) {
    const chunk = await readSegmentRange(storage, segmentId, start, Math.min(want, end - start), CHUNK_HEADER_SIZE);
    const payload = chunk.subarray(CHUNK_HEADER_SIZE);
    if (payload.length === end - start) return chunk;
    const boundary = lastRecordBoundary(payload);
    if (boundary === undefined) return readSegmentRange(storage, segmentId, start, end - start, CHUNK_HEADER_SIZE);
    if ('cut' in boundary) return chunk.subarray(0, CHUNK_HEADER_SIZE + boundary.cut);
    // Not even one record fits: read as much as it needs (a lower bound while its header was cut).
    want = Math.max(boundary.needed, want + 1);
  }
}
