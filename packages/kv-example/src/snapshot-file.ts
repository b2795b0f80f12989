import { crc32c } from '@nori/codec';
import type { Storage, StorageFile } from '@nori/storage';
import type { Position } from '@nori/wal';
import { KvError } from './errors.js';
import {
  decodeSnapshot,
  encodeSnapshotEntries,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
  snapshotEntrySize,
  type SnapshotEntry,
  type SnapshotEntryInput,
  type SnapshotHeader,
} from './snapshot-format.js';

/** Name of the snapshot file inside the store's storage root. */
export const SNAPSHOT_FILE = 'kv.snapshot';
/** Name of the file a snapshot is written to before it is atomically renamed into place. */
export const SNAPSHOT_TEMP_FILE = 'kv.snapshot.tmp';

/** Bytes encoded and handed to storage per write while writing a snapshot. */
const WRITE_CHUNK_BYTES = 1 << 20;
/** `onProgress` is called every this many entries while a snapshot loads. */
const PROGRESS_EVERY_ENTRIES = 16_384;

/** Progress of a long snapshot read or write: `done` of `total` entries. */
export type SnapshotProgress = (done: number, total: number) => void;

/** Summary of a written snapshot file. */
export interface WrittenSnapshot {
  bytes: number;
  entries: number;
  position: Position;
}

/**
 * Writes a snapshot crash-safely: temp file, fsync, atomic rename over the old snapshot, then
 * fsync of the directory. When this resolves the new snapshot is durable; a crash at any earlier
 * point leaves the previous snapshot in place (and possibly a stale temp file, which
 * {@link removeStaleSnapshotTemp} deletes on the next open).
 */
export async function writeSnapshotFile(
  storage: Storage,
  position: Position,
  entries: readonly SnapshotEntryInput[],
  createdAt: number,
  onProgress?: SnapshotProgress,
  signal?: AbortSignal,
): Promise<WrittenSnapshot> {
  const file = await storage.open(SNAPSHOT_TEMP_FILE, { create: true });
  let closed = false;
  try {
    await file.truncate(0);
    const header = encodeSnapshotHeader({ position, entries: entries.length, createdAt });
    let checksum = crc32c(header);
    await file.writev([header], 0);
    let fileOffset = header.byteLength;
    let index = 0;
    while (index < entries.length) {
      throwIfAborted(signal);
      let chunkSize = 0;
      let chunkEnd = index;
      while (chunkEnd < entries.length && (chunkSize === 0 || chunkSize < WRITE_CHUNK_BYTES)) {
        chunkSize += snapshotEntrySize(entries[chunkEnd] as SnapshotEntryInput);
        chunkEnd++;
      }
      const chunk = new Uint8Array(chunkSize);
      encodeSnapshotEntries(entries.slice(index, chunkEnd), chunk, 0);
      checksum = crc32c(chunk, checksum);
      await file.writev([chunk], fileOffset);
      fileOffset += chunkSize;
      index = chunkEnd;
      onProgress?.(index, entries.length);
    }
    await file.writev([encodeSnapshotTrailer(checksum)], fileOffset);
    fileOffset += 4;
    await file.sync();
    closed = true;
    await file.close();
    await storage.rename(SNAPSHOT_TEMP_FILE, SNAPSHOT_FILE);
    await storage.syncDir();
    return { bytes: fileOffset, entries: entries.length, position };
  } finally {
    if (!closed) await file.close().catch(() => undefined);
  }
}

/**
 * Reads and verifies the snapshot, calling `onEntry` for each entry. Returns undefined when the
 * store has no snapshot yet.
 */
export async function readSnapshotFile(
  storage: Storage,
  onEntry: (entry: SnapshotEntry) => void,
  onProgress?: SnapshotProgress,
): Promise<(SnapshotHeader & { bytes: number }) | undefined> {
  if (!(await storage.exists(SNAPSHOT_FILE))) return undefined;
  const file = await storage.open(SNAPSHOT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(file);
  } finally {
    await file.close();
  }
  const name = `${storage.description}/${SNAPSHOT_FILE}`;
  const header = decodeSnapshot(bytes, name, (entry, index, total) => {
    onEntry(entry);
    if (onProgress !== undefined && index % PROGRESS_EVERY_ENTRIES === 0) onProgress(index, total);
  });
  onProgress?.(header.entries, header.entries);
  return { ...header, bytes: bytes.byteLength };
}

/** Deletes a temp snapshot left behind by a crash during compaction. */
export async function removeStaleSnapshotTemp(storage: Storage): Promise<boolean> {
  if (!(await storage.exists(SNAPSHOT_TEMP_FILE))) return false;
  await storage.remove(SNAPSHOT_TEMP_FILE);
  return true;
}

async function readWhole(file: StorageFile): Promise<Uint8Array> {
  const size = await file.size();
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = await file.read(bytes, done, size - done, done);
    if (n === 0) throw new KvError('ERR_SNAPSHOT_CORRUPT', `snapshot ${file.name} ended after ${done} of ${size} bytes`);
    done += n;
  }
  return bytes;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new KvError('ERR_ABORTED', 'snapshot aborted', { cause: signal.reason });
}
