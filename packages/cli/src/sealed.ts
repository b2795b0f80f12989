import { basename, dirname, join } from 'node:path';
import { NodeFileStorage, isStorageError, type StorageFile } from '@nori/storage';
import {
  checkSealedSegment,
  isZeroRange,
  SEALED_SEGMENTS_FILE,
  SEALED_TAIL_WINDOW,
  type SealedEntry,
  type SealedLogSnapshot,
  snapshotSealedLog,
  WalError,
} from '@nori/wal/scan';
import { NoriCliError, storageFailure } from './errors.js';
import type { SegmentFile } from './wal-dir.js';

/** `sealed.log`, where `@nori/wal` describes every segment it sealed (length, records, last bytes). */
export const SEALED_FILE: string = SEALED_SEGMENTS_FILE;

/** An open `sealed.log` whose size was taken before the directory was listed. */
export interface SealedSnapshot {
  /** Reads the entries within that size (then closes the file). */
  read(segmentFiles: number): Promise<SealedEntry[]>;
}

/** A `sealed.log` problem `@nori/wal` found, as `ERR_BAD_SEALED` naming `path`; other failures as storage errors. */
function sealedFailure(error: unknown, path: string): NoriCliError {
  if (error instanceof WalError && error.code === 'ERR_CORRUPTION') {
    return new NoriCliError('ERR_BAD_SEALED', `${path}: ${error.message}`, { cause: error });
  }
  return storageFailure(error, path);
}

/**
 * Opens `sealed.log` of `dir` read-only (with `@nori/wal`'s reader) and takes its size. Call it
 * BEFORE listing the directory: `@nori/wal` writes an entry only once the next segment exists, so
 * no entry read then names a segment the listing misses (a live writer rotating meanwhile is no
 * false alarm).
 */
export async function snapshotSealed(dir: string): Promise<SealedSnapshot> {
  const path = join(dir, SEALED_FILE);
  let snapshot: SealedLogSnapshot;
  try {
    snapshot = await snapshotSealedLog(new NodeFileStorage(dir));
  } catch (error) {
    throw sealedFailure(error, path);
  }
  return {
    async read(segmentFiles) {
      try {
        return (await snapshot.read(segmentFiles)).entries;
      } catch (error) {
        throw sealedFailure(error, path);
      }
    },
  };
}

/** How a sealed segment differs from its entry: `shorter`, `changed` (last bytes) or `longer` (data after its end). */
export interface SealedDifference {
  reason: 'sealed-shorter' | 'sealed-changed' | 'sealed-longer';
  /** Where the difference starts (for `changed`: the start of the tail window it lies in). */
  offset: number;
  length: number;
}

/**
 * Compares a segment file with its `sealed.log` entry with `@nori/wal`'s check (reads only its
 * last bytes and what follows its sealed end).
 */
export async function compareSealed(segment: SegmentFile, entry: SealedEntry): Promise<SealedDifference | undefined> {
  if (segment.size < entry.length) return { reason: 'sealed-shorter', offset: segment.size, length: entry.length - segment.size };
  let file: StorageFile;
  try {
    file = await new NodeFileStorage(dirname(segment.path)).open(basename(segment.path), { readOnly: true });
  } catch (error) {
    // Scanned, then collected by a live writer's GC (which drops its entry first): nothing to compare.
    if (isStorageError(error, 'ERR_NOT_FOUND')) return undefined;
    throw storageFailure(error, segment.path);
  }
  try {
    const mismatch = await checkSealedSegment(file, segment.size, entry, (from) => isZeroRange(file, from, segment.size));
    if (mismatch === undefined) return undefined;
    if (mismatch.kind === 'shorter') return { reason: 'sealed-shorter', offset: segment.size, length: entry.length - segment.size };
    if (mismatch.kind === 'longer') return { reason: 'sealed-longer', offset: entry.length, length: segment.size - entry.length };
    const window = Math.min(entry.length, SEALED_TAIL_WINDOW);
    return { reason: 'sealed-changed', offset: entry.length - window, length: window };
  } finally {
    await file.close();
  }
}
