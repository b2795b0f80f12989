import { crc32c } from '@nori/codec';
import type { Storage, StorageFile } from '@nori/storage';
import { WalError } from './errors.js';
import { readWholeFile } from './segment-io.js';

/** Side file that makes multi-record `appendBatch` crash-atomic (never inside segments). */
export const BATCH_INTENT_FILE = 'batches.intent';

/** "NBI1" little-endian: first bytes of every entry (layout: codec FORMAT.md, "batches.intent"). */
const INTENT_MAGIC = 0x3149424e;
/** Entry header: u32 magic, u32 extent count. */
const INTENT_HEADER_BYTES = 8;
const AT_MAGIC = 0;
const AT_COUNT = 4;
/** One extent: f64 segmentId, f64 start, f64 end. */
const INTENT_EXTENT_BYTES = 24;
const AT_EXTENT_START = 8;
const AT_EXTENT_END = 16;
/** Entry trailer: u32 CRC32C of the entry's bytes before it. */
const INTENT_CRC_BYTES = 4;

/**
 * Most extents one entry lists. A group with more multi-record batches is recorded as one extent
 * from its first batch's start to its last batch's end (see {@link BatchIntentLog.record}).
 */
export const MAX_INTENT_EXTENTS = 4096;

/** Bytes of an entry listing `count` extents. */
function entrySize(count: number): number {
  return INTENT_HEADER_BYTES + INTENT_EXTENT_BYTES * count + INTENT_CRC_BYTES;
}

/** Above this many intent bytes with batches still not durable, the writer syncs data first. */
export const INTENT_COMPACT_BYTES = 256 * 1024;

/**
 * Largest intent file the writer produces: entries are appended only while the file holds at most
 * `INTENT_COMPACT_BYTES`, and one entry lists at most `MAX_INTENT_EXTENTS` extents.
 * A larger file is not one nori wrote: recovery refuses it instead of reading it into memory.
 */
export const INTENT_FILE_LIMIT = INTENT_COMPACT_BYTES + entrySize(MAX_INTENT_EXTENTS);

/** Where one multi-record batch lives: `[start, end)` of segment `segmentId`. */
export interface BatchExtent {
  segmentId: number;
  start: number;
  end: number;
}

/** Encodes one intent entry: magic, count, extents (f64 triples), CRC32C of everything before. */
export function encodeIntentEntry(extents: readonly BatchExtent[]): Uint8Array {
  const bytes = new Uint8Array(entrySize(extents.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(AT_MAGIC, INTENT_MAGIC, true);
  view.setUint32(AT_COUNT, extents.length, true);
  let at = INTENT_HEADER_BYTES;
  for (const extent of extents) {
    view.setFloat64(at, extent.segmentId, true);
    view.setFloat64(at + AT_EXTENT_START, extent.start, true);
    view.setFloat64(at + AT_EXTENT_END, extent.end, true);
    at += INTENT_EXTENT_BYTES;
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
  while (at + INTENT_HEADER_BYTES + INTENT_CRC_BYTES <= bytes.length) {
    if (view.getUint32(at, true) !== INTENT_MAGIC) break;
    const count = view.getUint32(at + AT_COUNT, true);
    const size = entrySize(count);
    if (count === 0 || at + size > bytes.length) break;
    const crcAt = at + size - INTENT_CRC_BYTES;
    if (view.getUint32(crcAt, true) !== crc32c(bytes.subarray(at, crcAt))) break;
    for (let e = at + INTENT_HEADER_BYTES; e < crcAt; e += INTENT_EXTENT_BYTES) {
      const segmentId = view.getFloat64(e, true);
      const start = view.getFloat64(e + AT_EXTENT_START, true);
      const end = view.getFloat64(e + AT_EXTENT_END, true);
      if (Number.isSafeInteger(segmentId) && Number.isSafeInteger(start) && Number.isSafeInteger(end) && start < end) {
        extents.push({ segmentId, start, end });
      }
    }
    at += size;
  }
  return extents;
}

/**
 * Reads every valid extent of the intent file (empty when the file is absent).
 * @throws WalError `ERR_CORRUPTION` naming the file when it is larger than the writer ever makes it
 *   ({@link INTENT_FILE_LIMIT}); nothing is read into memory then.
 */
export async function readIntentFile(storage: Storage): Promise<{ extents: BatchExtent[]; size: number }> {
  if (!(await storage.exists(BATCH_INTENT_FILE))) return { extents: [], size: 0 };
  const file = await storage.open(BATCH_INTENT_FILE, { readOnly: true });
  try {
    const size = await file.size();
    if (size > INTENT_FILE_LIMIT) {
      throw new WalError(
        'ERR_CORRUPTION',
        `${BATCH_INTENT_FILE} is ${size} bytes, more than the ${INTENT_FILE_LIMIT} bytes the writer ever writes: it is not a ` +
          `batch-intent file nori wrote; nothing was modified. Restore it, or move it away if a batch cut by the last crash ` +
          `may come back in part`,
      );
    }
    const bytes = await readWholeFile(file);
    return { extents: decodeIntentEntries(bytes), size: bytes.length };
  } finally {
    await file.close();
  }
}

/**
 * Extents to record for one group: as given, or, above {@link MAX_INTENT_EXTENTS}, one extent from
 * the first batch's start to the last one's end. Rolling that back to its start may drop single
 * appends between the batches too, which is safe: a group is partly present after a crash only
 * if no fsync covered its end, so none of its records was acknowledged as durable.
 */
export function boundedExtents(extents: readonly BatchExtent[]): readonly BatchExtent[] {
  if (extents.length <= MAX_INTENT_EXTENTS) return extents;
  const first = extents[0] as BatchExtent;
  const last = extents[extents.length - 1] as BatchExtent;
  return [{ segmentId: first.segmentId, start: first.start, end: last.end }];
}

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

  /**
   * Appends one entry for the extents of one group (all in one segment, in order; see
   * {@link boundedExtents}) and makes it durable.
   */
  async record(groupExtents: readonly BatchExtent[]): Promise<void> {
    const extents = boundedExtents(groupExtents);
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
  async close(how: { clear: boolean }): Promise<void> {
    const { clear } = how;
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
