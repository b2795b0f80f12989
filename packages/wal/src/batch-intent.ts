import { crc32c } from '@nori/codec';
import type { Storage, StorageFile } from '@nori/storage';
import { readWholeFile } from './segment-io.js';

/** Side file that makes multi-record `appendBatch` crash-atomic (never inside segments). */
export const BATCH_INTENT_FILE = 'batches.intent';

const MAGIC = 0x3149424e; // "NBI1" little-endian
const HEADER = 8;
const EXTENT = 24;
const TRAILER = 4;

/** Where one multi-record batch lives: `[start, end)` of segment `segmentId`. */
export interface BatchExtent {
  segmentId: number;
  start: number;
  end: number;
}

/** Encodes one intent entry: magic, count, extents (f64 triples), CRC32C of everything before. */
export function encodeIntentEntry(extents: readonly BatchExtent[]): Uint8Array {
  const bytes = new Uint8Array(HEADER + EXTENT * extents.length + TRAILER);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, extents.length, true);
  let at = HEADER;
  for (const extent of extents) {
    view.setFloat64(at, extent.segmentId, true);
    view.setFloat64(at + 8, extent.start, true);
    view.setFloat64(at + 16, extent.end, true);
    at += EXTENT;
  }
  view.setUint32(at, crc32c(bytes.subarray(0, at)), true);
  return bytes;
}

/**
 * Decodes the entries of an intent file, stopping at the first torn or invalid entry (a torn
 * entry belongs to a batch whose data was never written: the data write waits for the entry's
 * fsync).
 */
export function decodeIntentEntries(bytes: Uint8Array): BatchExtent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const extents: BatchExtent[] = [];
  let at = 0;
  while (at + HEADER + TRAILER <= bytes.length) {
    if (view.getUint32(at, true) !== MAGIC) break;
    const count = view.getUint32(at + 4, true);
    const size = HEADER + EXTENT * count + TRAILER;
    if (count === 0 || at + size > bytes.length) break;
    const crcAt = at + size - TRAILER;
    if (view.getUint32(crcAt, true) !== crc32c(bytes.subarray(at, crcAt))) break;
    for (let e = at + HEADER; e < crcAt; e += EXTENT) {
      const segmentId = view.getFloat64(e, true);
      const start = view.getFloat64(e + 8, true);
      const end = view.getFloat64(e + 16, true);
      if (Number.isSafeInteger(segmentId) && Number.isSafeInteger(start) && Number.isSafeInteger(end) && start < end) {
        extents.push({ segmentId, start, end });
      }
    }
    at += size;
  }
  return extents;
}

/** Reads every valid extent of the intent file (empty when the file is absent). */
export async function readIntentFile(storage: Storage): Promise<{ extents: BatchExtent[]; size: number }> {
  if (!(await storage.exists(BATCH_INTENT_FILE))) return { extents: [], size: 0 };
  const file = await storage.open(BATCH_INTENT_FILE, { readOnly: true });
  try {
    const bytes = await readWholeFile(file);
    return { extents: decodeIntentEntries(bytes), size: bytes.length };
  } finally {
    await file.close();
  }
}

/** Above this many intent bytes with batches still not durable, the writer syncs data first. */
export const INTENT_COMPACT_BYTES = 256 * 1024;

/**
 * The writer's side of the intent file: entries are appended and fsynced before the data write
 * of a group containing multi-record batches; once every listed batch is durable the next entry
 * overwrites the file from offset 0 (stale entries of durable batches are harmless: recovery
 * only rolls back a batch whose extent is partly present, and clears the file after use).
 */
export class BatchIntentLog {
  private file: StorageFile | undefined;
  private size = 0;
  private pending: BatchExtent[] = [];

  constructor(private readonly storage: Storage) {}

  /** Bytes of entries written since the file was last reset. */
  get bytes(): number {
    return this.size;
  }

  /** Batches whose extents are recorded but not yet known durable. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Appends one entry for `extents` and makes it durable. */
  async record(extents: readonly BatchExtent[]): Promise<void> {
    if (this.file === undefined) {
      const existed = await this.storage.exists(BATCH_INTENT_FILE);
      this.file = await this.storage.open(BATCH_INTENT_FILE, { create: true });
      // The entry is useless if a crash can lose the file itself.
      if (!existed) await this.storage.syncDir();
    }
    const entry = encodeIntentEntry(extents);
    this.file.writevSync([entry], this.size);
    this.size += entry.length;
    for (const extent of extents) this.pending.push(extent);
    await this.file.datasync();
  }

  /** Everything up to `segmentId`/`offset` is durable: forget the batches it covers. */
  markDurable(segmentId: number, offset: number): void {
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((e) => e.segmentId > segmentId || (e.segmentId === segmentId && e.end > offset));
    if (this.pending.length === 0) this.size = 0;
  }

  /** Closes the file; `clear` also empties it (all batches durable, e.g. on a clean close). */
  async close(clear: boolean): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    try {
      if (clear && this.pending.length === 0) {
        await file.truncate(0);
        await file.datasync();
      }
    } finally {
      await file.close();
    }
  }
}
