import { RecordScanner } from '@nori/codec';
import type { Storage } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, segmentName } from '@nori/wal';

/** Reads bytes `[offset, offset + length)` of segment `segmentId` raw, through the WAL's storage. */
export async function readSegmentRange(storage: Storage, segmentId: number, offset: number, length: number): Promise<Uint8Array> {
  const file = await storage.open(segmentName(segmentId), { readOnly: true });
  try {
    const bytes = new Uint8Array(length);
    const read = await file.read(bytes, 0, length, offset);
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
 * parse as records (e.g. a region a salvage recovery skipped).
 */
export function lastRecordBoundary(bytes: Uint8Array): { cut: number } | { needed: number } | undefined {
  const scanner = new RecordScanner({ maxRecordSize: MAX_RECORD_SIZE_LIMIT, verifyCompressed: false });
  scanner.reset(bytes);
  while (scanner.next() === 'ok');
  if (scanner.cursor > 0) return { cut: scanner.cursor };
  if (scanner.status === 'incomplete' && !scanner.tooLarge) return { needed: scanner.needed };
  return undefined;
}

/**
 * The payload of the next data chunk: bytes `[start, end)` of a segment (both record boundaries),
 * cut at the last record boundary within `maxChunkBytes`. A record longer than the limit is a
 * chunk of its own; bytes that do not parse as records are shipped to `end` uncut.
 */
export async function nextChunkPayload(storage: Storage, segmentId: number, start: number, end: number, maxChunkBytes: number): Promise<Uint8Array> {
  let want = maxChunkBytes;
  for (;;) {
    const head = await readSegmentRange(storage, segmentId, start, Math.min(want, end - start));
    if (head.length === end - start) return head;
    const boundary = lastRecordBoundary(head);
    if (boundary === undefined) return readSegmentRange(storage, segmentId, start, end - start);
    if ('cut' in boundary) return head.subarray(0, boundary.cut);
    // Not even one record fits: read as much as it needs (a lower bound while its header was cut).
    want = Math.max(boundary.needed, want + 1);
  }
}
